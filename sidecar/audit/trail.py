"""The asyncio audit trail: every append is durable before it returns, with group commit.

Appends join a pending list and wait. A single writer task takes everything pending as one
batch and hands it to a dedicated thread, which seals, writes and fsyncs it in one go; the
appends that arrive meanwhile form the next batch. So under load one fsync covers many
decisions, and the event loop keeps serving while the disk syncs.

When a disk syncs faster than the event loop turns round, batches stay small. So under
concurrent load (the last batch had company, or more than one record is waiting) the writer
lingers before taking a batch, up to LINGER_SECONDS after its oldest record arrived, for the
checks already in progress to join it. A lone append is written at once.
"""

import asyncio
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import orjson
import structlog

from sidecar.audit import durable_io
from sidecar.audit.chain import CHAIN_FIELDS
from sidecar.audit.errors import AuditWriteError
from sidecar.audit.keys import MIN_KEY_BYTES
from sidecar.audit.recovery import Logger, RecoveryReport
from sidecar.audit.writer import DEFAULT_MAX_FILE_BYTES, ChainWriter

# The most a record may wait for company before its batch is written (group commit).
LINGER_SECONDS = 0.001
# Module level so that tests can watch or hold the linger, and set the clock it reads.
_linger_sleep = asyncio.sleep
_clock = time.monotonic


@dataclass(frozen=True)
class _Pending:
    fields: dict[str, object]
    done: asyncio.Future[None]
    arrived: float


class AuditTrail:
    """A tamper-evident, append-only trail of decisions in one directory.

    Use `await AuditTrail.open(...)`, then `await append(record)` for each decision before
    its response is sent, and `await aclose()` at shutdown.
    """

    def __init__(
        self,
        writer: ChainWriter,
        executor: ThreadPoolExecutor,
        recovered: RecoveryReport | None,
        logger: Logger,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self._writer = writer
        self._linger = linger
        self._last_batch_size = 0
        self._executor = executor
        self._logger = logger
        self.recovered = recovered
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self._closed = False
        self._last_batch_failed = False
        self._task = asyncio.get_running_loop().create_task(
            self._write_batches(), name="vir-audit-writer"
        )

    @classmethod
    async def open(
        cls,
        directory: Path,
        key: bytes,
        *,
        fsync: bool = True,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        logger: Logger | None = None,
        accept_damaged_tail: bool = False,
        linger: float = LINGER_SECONDS,
    ) -> "AuditTrail":
        """Open (creating it if needed) the trail in `directory`, recovering a torn tail.

        `fsync=False` still writes each record to the operating system before append
        returns, but does not wait for the disk: for tests and benchmarks only.
        A complete final record that does not verify raises AuditRecoveryError, unless
        `accept_damaged_tail` (an operator's acknowledgement, recorded in the trail).
        `linger` (0 to LINGER_SECONDS) bounds how long a batch waits for company.
        """
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"audit key must be at least {MIN_KEY_BYTES} bytes")
        if max_file_bytes <= 0:
            raise ValueError("max_file_bytes must be positive")
        if not 0 <= linger <= LINGER_SECONDS:
            raise ValueError(f"linger must be between 0 and {LINGER_SECONDS} s")
        log: Logger = logger if logger is not None else structlog.get_logger("vir.audit")
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vir-audit")
        try:
            writer, recovered = await asyncio.get_running_loop().run_in_executor(
                executor,
                lambda: ChainWriter.open(
                    directory,
                    key,
                    fsync=fsync,
                    max_file_bytes=max_file_bytes,
                    logger=log,
                    accept_damaged_tail=accept_damaged_tail,
                ),
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(writer, executor, recovered, log, linger)

    @property
    def healthy(self) -> bool:
        """False once closed, after a failed batch (until one succeeds), or when broken."""
        return not (self._closing or self._last_batch_failed or self._writer.broken)

    @property
    def records_written(self) -> int:
        """Records made durable by this trail since it was opened."""
        return self._writer.records_written

    @property
    def fsyncs(self) -> int:
        """fsync calls on audit files since opening; 0 when opened with fsync=False."""
        return self._writer.fsyncs

    @property
    def last_seq(self) -> int:
        """seq of the last durable record; 0 if the trail is empty."""
        return self._writer.seq

    @property
    def last_mac(self) -> str:
        """MAC of the last durable record, to anchor the trail somewhere else."""
        return self._writer.last_mac

    @property
    def active_file(self) -> Path:
        return self._writer.active_path

    async def check_writable(self) -> bool:
        """For health checks: True if the trail is open and its directory takes a synced write.

        The probe uses a scratch file, never the chain, so it can report recovery (space
        freed, disk back) while no decisions are being appended.
        """
        if self._closing or self._writer.broken or self._task.done():
            return False
        try:
            await asyncio.to_thread(
                durable_io.probe_directory, self._writer.directory, sync=self._writer.fsync
            )
        except OSError as exc:
            self._logger.warning("audit_probe_failed", error=str(exc))
            return False
        return True

    async def append(self, record: Mapping[str, object]) -> None:
        """Return once `record` is written and synced; raise AuditWriteError otherwise.

        `record` is a flat mapping of JSON values (see build_record); the chain fields
        seq, prev_mac and mac are added here and must not be present.
        """
        await self.submit(record)

    def submit(self, record: Mapping[str, object]) -> asyncio.Future[None]:
        """Queue `record` as append does, and return the future that append awaits.

        For callers that shield the wait from cancellation: shielding a future costs no
        task. Raises AuditWriteError or ValueError at once, as append would.
        """
        if self._closing:
            raise AuditWriteError("audit trail is closed")
        if self._writer.broken:
            raise AuditWriteError("audit trail is unusable after a failed write; restart needed")
        if self._task.done():
            raise AuditWriteError("audit writer is not running")
        fields = dict(record)
        if reserved := CHAIN_FIELDS.intersection(fields):
            raise ValueError(f"record must not set chain fields {sorted(reserved)}")
        try:
            orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as exc:
            raise ValueError(f"record is not serialisable as JSON: {exc}") from None
        done = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(fields, done, _clock()))
        self._wakeup.set()
        return done

    async def aclose(self) -> None:
        """Write everything already appended, then release the directory."""
        if self._closed:
            return
        self._closing = True
        self._wakeup.set()
        # wait() rather than await: cancelling aclose must not cancel the writer mid-batch.
        await asyncio.wait([self._task])
        # Only non-empty if the writer task was cancelled from outside.
        _fail(self._pending, "audit trail is closed", None)
        self._pending = []
        if not self._closed:
            self._closed = True
            await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _write_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
            await self._wait_for_company()
            batch, self._pending = self._pending, []
            self._last_batch_size = len(batch)
            try:
                await loop.run_in_executor(
                    self._executor, self._writer.write_batch, [p.fields for p in batch]
                )
            except asyncio.CancelledError:
                _fail(batch, "audit writer was stopped", None)
                raise
            except Exception as exc:
                self._last_batch_failed = True
                self._logger.error("audit_write_failed", records=len(batch), error=str(exc))
                if isinstance(exc, AuditWriteError):
                    _fail(batch, str(exc), exc.__cause__)
                else:
                    _fail(batch, f"audit write failed: {type(exc).__name__}", exc)
            else:
                self._last_batch_failed = False
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_result(None)

    async def _wait_for_company(self) -> None:
        """Under concurrent load, let the checks in progress join the batch (group commit).

        Bounded from the oldest waiting record's arrival, so no record waits more than the
        linger beyond what the writer would take anyway; a record that already waited out a
        slow batch is not held at all.
        """
        if self._linger <= 0 or self._closing:
            return
        if self._last_batch_size <= 1 and len(self._pending) <= 1:
            return
        remaining = self._pending[0].arrived + self._linger - _clock()
        if remaining > 0:
            await _linger_sleep(remaining)


def _fail(batch: list[_Pending], message: str, cause: BaseException | None) -> None:
    """Fail every waiter of `batch`, each with its own exception instance."""
    for pending in batch:
        if not pending.done.done():
            error = AuditWriteError(message)
            error.__cause__ = cause
            pending.done.set_exception(error)
