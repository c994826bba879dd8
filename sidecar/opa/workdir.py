"""The managed OPA's private working directory, and the removal of ones left by dead sidecars.

Each sidecar process works in `<tmp>/vir-opa-<pid>-<random>` (mode 0700). A sidecar killed
outright cannot remove its directory; the next one to start removes every such directory
of the same user whose pid is no longer running. A directory whose pid is alive is left
alone, even if the pid was reused by another process: removing too little is safe.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import structlog

log = structlog.get_logger("vir.opa")

PREFIX = "vir-opa-"
_NAME = re.compile(rf"^{re.escape(PREFIX)}(\d+)-[A-Za-z0-9_]+$")


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        # A directory named after this very process predates it (a restarted container
        # gets the same pid again): it is stale.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def remove_stale(base: Path) -> list[Path]:
    """Remove this user's working directories in `base` whose sidecar has exited."""
    removed = []
    for entry in base.glob(PREFIX + "*"):
        match = _NAME.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if _is_running(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    if removed:
        log.info("opa_stale_workdirs_removed", count=len(removed))
    return removed


def create(base: Path | None = None) -> Path:
    """A fresh private working directory for this process, after removing stale ones."""
    parent = Path(base) if base is not None else Path(tempfile.gettempdir())
    remove_stale(parent)
    # mkdtemp creates the directory with mode 0700.
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
