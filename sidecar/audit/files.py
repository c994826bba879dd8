"""Names and locations of audit files in a trail directory.

Files are audit-000001.jsonl, audit-000002.jsonl, ... in one directory; the highest number
is the active file and every lower one is closed and never written again.
"""

import fcntl
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from sidecar.audit.errors import AuditError

_AUDIT_FILE = re.compile(r"audit-(\d{6,})\.jsonl")
QUARANTINE_MARKER = ".quarantine-"
LOCK_FILE_NAME = "audit.lock"


def audit_file_name(number: int) -> str:
    return f"audit-{number:06d}.jsonl"


def audit_file_number(path: Path) -> int | None:
    """The number of an audit file, or None for any other name (quarantine files too)."""
    match = _AUDIT_FILE.fullmatch(path.name)
    return int(match.group(1)) if match else None


def list_audit_files(directory: Path) -> list[Path]:
    """The audit files in `directory`, oldest first."""
    numbered = [
        (number, path)
        for path in directory.iterdir()
        if (number := audit_file_number(path)) is not None and path.is_file()
    ]
    return [path for _, path in sorted(numbered)]


def is_quarantine_file(path: Path) -> bool:
    return QUARANTINE_MARKER in path.name


def list_quarantine_files(directory: Path) -> list[Path]:
    """The quarantine files in `directory`, by name."""
    return sorted(
        path for path in directory.iterdir() if is_quarantine_file(path) and path.is_file()
    )


def quarantine_path(active: Path, now: datetime) -> Path:
    """A new name beside `active` for bytes moved out of it."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    candidate = active.with_name(f"{active.name}{QUARANTINE_MARKER}{stamp}")
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = active.with_name(f"{active.name}{QUARANTINE_MARKER}{stamp}-{suffix}")
    return candidate


def lock_directory(directory: Path) -> int:
    """Take the trail's lock so that only one writer appends; returns the fd holding it."""
    fd = os.open(directory / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AuditError(f"audit directory {directory} is in use by another writer") from None
    except BaseException:
        os.close(fd)
        raise
    return fd
