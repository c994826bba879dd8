"""The few system calls that make audit bytes durable.

The writer calls these through the module (``durable_io.fsync(...)``) so that tests can
replace them to simulate a full or failing disk.
"""

import os
from pathlib import Path


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data`, retrying short writes."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError("write made no progress")
        view = view[written:]


def fsync(fd: int) -> None:
    os.fsync(fd)


def truncate(fd: int, size: int) -> None:
    os.ftruncate(fd, size)


def fsync_directory(directory: Path) -> None:
    """Make a created, renamed or removed directory entry durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_file(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600, must not exist) holding `data`, and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


PROBE_FILE_NAME = ".write-probe"


def probe_directory(directory: Path, *, sync: bool) -> None:
    """Write, sync and remove a small file in `directory`; raises OSError if it cannot."""
    path = directory / PROBE_FILE_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, bytes(4096))
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
