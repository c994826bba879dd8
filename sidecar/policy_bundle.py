"""Snapshots the policy bundle that OPA serves and names it by content digest.

OPA loads the snapshot, not the working directory, so the revision reported
with every decision is the digest of exactly the files OPA evaluated.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sidecar.opa.bundle import served_files

__all__ = ["revision", "served_files", "snapshot"]


def revision(policy_dir: Path) -> str:
    """A digest over the served files' names and contents."""
    digest = hashlib.sha256()
    found = False
    for relative in served_files(policy_dir):
        found = True
        content = (policy_dir / relative).read_bytes()
        digest.update(f"{relative.as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    if not found:
        raise FileNotFoundError(f"no policy files under {policy_dir}")
    return "sha256:" + digest.hexdigest()


def snapshot(policy_dir: Path, destination: Path) -> str:
    """Copy the served files to `destination` and return their revision."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for relative in served_files(policy_dir):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(policy_dir / relative, target)
    return revision(destination)
