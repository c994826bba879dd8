"""The blocking side of the trail: seals batches of records and makes them durable.

One ChainWriter owns the trail directory (it holds the directory lock) and is driven from a
single thread, one batch at a time. A batch is sealed, written with one write() and synced
with one fsync(); if any step fails, the file is cut back to its size before the batch and
the chain position is left where it was, so the next batch can retry cleanly.
"""

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import structlog

from sidecar.audit import durable_io
from sidecar.audit.chain import seal
from sidecar.audit.errors import AuditWriteError
from sidecar.audit.files import audit_file_name, audit_file_number, list_audit_files, lock_directory
from sidecar.audit.record import damaged_record_accepted_record
from sidecar.audit.recovery import (
    ChainPosition,
    Logger,
    RecoveryReport,
    recover_chain_position,
)

DEFAULT_MAX_FILE_BYTES = 64 * 2**20
_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC


class ChainWriter:
    """Appends sealed records to the active audit file, rotating by size."""

    def __init__(
        self,
        directory: Path,
        key: bytes,
        *,
        fsync: bool,
        max_file_bytes: int,
        lock_fd: int,
        file_number: int,
        position: ChainPosition,
        logger: Logger,
    ) -> None:
        self.directory = directory
        self._key = key
        self.fsync = fsync
        self._max_file_bytes = max_file_bytes
        self._lock_fd = lock_fd
        self._logger = logger
        self.file_number = file_number
        self._fd = os.open(self.active_path, _OPEN_FLAGS, 0o600)
        self._size = os.fstat(self._fd).st_size
        self.seq = position.seq
        self.last_mac = position.mac
        self.records_written = 0
        self.fsyncs = 0
        # Set when a failed batch could not be cut back out of the file: the file's end no
        # longer matches the chain position, so nothing more may be appended to it.
        self.broken = False

    @classmethod
    def open(
        cls,
        directory: Path,
        key: bytes,
        *,
        fsync: bool = True,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        logger: Logger | None = None,
        accept_damaged_tail: bool = False,
    ) -> tuple["ChainWriter", RecoveryReport | None]:
        """Lock `directory` (creating it, mode 0700), recover a torn tail, open the active file.

        With `accept_damaged_tail`, a damaged final record is set aside rather than refused,
        and a record of that acknowledgement is the first thing written.
        """
        log: Logger = logger if logger is not None else structlog.get_logger("vir.audit")
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            durable_io.fsync_directory(directory.parent)
        lock_fd = lock_directory(directory)
        try:
            files = list_audit_files(directory)
            if not files:
                files = [_create_first_file(directory)]
            now = datetime.now(UTC)
            position, report = recover_chain_position(
                files, key, now=now, logger=log, accept_damaged_tail=accept_damaged_tail
            )
            number = audit_file_number(files[-1])
            assert number is not None
            writer = cls(
                directory,
                key,
                fsync=fsync,
                max_file_bytes=max_file_bytes,
                lock_fd=lock_fd,
                file_number=number,
                position=position,
                logger=log,
            )
        except BaseException:
            os.close(lock_fd)
            raise
        if report is not None and report.damaged_record_accepted:
            try:
                writer.write_batch([damaged_record_accepted_record(now)])
            except BaseException:
                writer.close()
                raise
        return writer, report

    @property
    def active_path(self) -> Path:
        return self.directory / audit_file_name(self.file_number)

    def write_batch(self, records: Sequence[Mapping[str, object]]) -> None:
        """Seal, write and sync `records` in order; raises AuditWriteError on any failure."""
        if self.broken:
            raise AuditWriteError("audit trail is unusable after a failed write; restart needed")
        seq, mac = self.seq, self.last_mac
        lines = []
        for fields in records:
            seq += 1
            line, mac = seal(self._key, fields, seq, mac)
            lines.append(line)
        data = b"".join(lines)
        try:
            if self._size > 0 and self._size + len(data) > self._max_file_bytes:
                self._rotate()
        except OSError as exc:
            raise AuditWriteError(f"cannot start a new audit file: {exc}") from exc
        try:
            durable_io.write_all(self._fd, data)
            if self.fsync:
                durable_io.fsync(self._fd)
        except OSError as exc:
            self._cut_back(self._size)
            raise AuditWriteError(f"audit write failed: {exc}") from exc
        if self.fsync:
            self.fsyncs += 1
        self._size += len(data)
        self.seq, self.last_mac = seq, mac
        self.records_written += len(records)

    def close(self) -> None:
        os.close(self._fd)
        os.close(self._lock_fd)

    def _rotate(self) -> None:
        """Make the next-numbered file the active one; the current file is closed for good."""
        number = self.file_number + 1
        path = self.directory / audit_file_name(number)
        fd = os.open(path, _OPEN_FLAGS, 0o600)
        try:
            if self.fsync:
                durable_io.fsync_directory(self.directory)
            size = os.fstat(fd).st_size
        except BaseException:
            os.close(fd)
            raise
        os.close(self._fd)
        self._fd, self._size, self.file_number = fd, size, number
        self._logger.info("audit_file_rotated", file=path.name, after_seq=self.seq)

    def _cut_back(self, size: int) -> None:
        try:
            durable_io.truncate(self._fd, size)
        except OSError as exc:
            self.broken = True
            self._logger.error("audit_rollback_failed", file=self.active_path.name, error=str(exc))


def _create_first_file(directory: Path) -> Path:
    path = directory / audit_file_name(1)
    os.close(os.open(path, _OPEN_FLAGS, 0o600))
    durable_io.fsync_directory(directory)
    return path
