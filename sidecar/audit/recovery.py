"""Reopening a trail after a crash: find where the chain ends and set aside a torn tail.

A batch is acknowledged only after its write and fsync complete, so a torn write (a final line
without its newline, or one that is not JSON at all) was never acknowledged. It is moved to a
quarantine file beside the active file (never dropped), the active file is cut back to the
last good line, and the chain continues from the last good record.

A complete final record that parses but does not verify is not what a crash leaves: its
decision may have been answered, and the record was altered since. Recovery refuses it unless
an operator acknowledges it (`accept_damaged_tail`); then it is quarantined like a torn tail
and the report says so, for the trail to record the acknowledgement. Damage to more than the
final line, or a key that does not verify the trail, always needs an operator.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sidecar.audit import durable_io
from sidecar.audit.chain import GENESIS_MAC, BadRecord, ChainLink, unseal
from sidecar.audit.errors import AuditRecoveryError
from sidecar.audit.files import quarantine_path

_BLOCK_BYTES = 64 * 1024


class Logger(Protocol):
    """The part of a structlog logger the audit trail uses; it never logs record contents."""

    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...

    def error(self, event: str, **fields: Any) -> Any: ...


@dataclass(frozen=True)
class ChainPosition:
    """The last record written: the next record gets seq + 1 and prev_mac = mac."""

    seq: int
    mac: str


GENESIS = ChainPosition(seq=0, mac=GENESIS_MAC)


@dataclass(frozen=True)
class RecoveryReport:
    """What was moved out of the active file when the trail was reopened."""

    file: Path
    quarantine_file: Path
    quarantined_bytes: int
    truncated_to: int
    reason: str
    resumed_after_seq: int
    # True when a complete record that failed verification was set aside on an operator's
    # acknowledgement, rather than only a torn write.
    damaged_record_accepted: bool = False


@dataclass(frozen=True)
class FileTail:
    """The last complete lines of a file (offset, bytes without newline), oldest first."""

    size: int
    lines: list[tuple[int, bytes]]
    fragment_offset: int  # where the bytes after the last newline start; == size if none


def read_tail(path: Path, count: int) -> FileTail:
    """Read backwards from the end of `path` until `count` complete lines are found."""
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        start = size
        buffer = b""
        while start > 0 and buffer.count(b"\n") <= count:
            step = min(_BLOCK_BYTES, start)
            start -= step
            file.seek(start)
            buffer = file.read(step) + buffer
    last_newline = buffer.rfind(b"\n")
    lines: list[tuple[int, bytes]] = []
    end = last_newline
    while end >= 0 and len(lines) < count:
        begin = buffer.rfind(b"\n", 0, end) + 1
        lines.append((start + begin, buffer[begin:end]))
        end = begin - 1
    lines.reverse()
    return FileTail(size=size, lines=lines, fragment_offset=start + last_newline + 1)


def recover_chain_position(
    files: Sequence[Path],
    key: bytes,
    *,
    now: datetime,
    logger: Logger,
    accept_damaged_tail: bool = False,
) -> tuple[ChainPosition, RecoveryReport | None]:
    """Return where the chain ends, quarantining a torn tail of the active (last) file.

    Raises AuditRecoveryError when the final complete line parses but does not verify,
    unless `accept_damaged_tail`.
    """
    active = files[-1]
    tail = read_tail(active, 2)
    cut = tail.fragment_offset
    reasons = ["incomplete final line"] if cut < tail.size else []
    damaged_record = False
    if not tail.lines:
        position = _position_before(files[:-1], key) or GENESIS
    else:
        offset, last = tail.lines[-1]
        try:
            position = _position(unseal(key, last))
        except BadRecord as bad:
            position = _position_before_damaged_line(files, tail, key, bad)
            if bad.parsed:
                damaged_record = True
                if not accept_damaged_tail:
                    raise AuditRecoveryError(
                        f"the final record of {active.name} (after seq {position.seq}) is "
                        f"complete but does not verify ({bad.reason}): it was altered after it "
                        "was written, which a crash does not do, and its decision may have been "
                        "answered. Run `vir-sidecar audit verify` on the directory and "
                        "investigate; to set the record aside and carry on, restart once with "
                        "--audit-accept-damaged-tail"
                    ) from None
            cut = offset
            reasons.insert(0, f"final line damaged ({bad.reason})")
    if cut == tail.size:
        return position, None
    quarantine_file = _quarantine(active, cut, tail.size, now)
    report = RecoveryReport(
        file=active,
        quarantine_file=quarantine_file,
        quarantined_bytes=tail.size - cut,
        truncated_to=cut,
        reason="; ".join(reasons),
        resumed_after_seq=position.seq,
        damaged_record_accepted=damaged_record,
    )
    log = logger.error if damaged_record else logger.warning
    log(
        "audit_damaged_record_accepted" if damaged_record else "audit_tail_quarantined",
        file=active.name,
        quarantine_file=quarantine_file.name,
        quarantined_bytes=report.quarantined_bytes,
        truncated_to=cut,
        reason=report.reason,
        resumed_after_seq=position.seq,
    )
    return position, report


def _position(link: ChainLink) -> ChainPosition:
    return ChainPosition(seq=link.seq, mac=link.mac)


def _position_before_damaged_line(
    files: Sequence[Path], tail: FileTail, key: bytes, bad: BadRecord
) -> ChainPosition:
    """The record before a damaged final line, which must verify to show the key is right."""
    if len(tail.lines) == 2:
        try:
            return _position(unseal(key, tail.lines[0][1]))
        except BadRecord as before:
            raise AuditRecoveryError(
                f"the last two lines of {files[-1].name} do not verify ({before.reason}): "
                "more than the final line is damaged, or the key is wrong; "
                "run `vir-sidecar audit verify` on the directory"
            ) from None
    earlier = _position_before(files[:-1], key)
    if earlier is not None:
        return earlier
    if bad.parsed:
        # Well-formed JSON with a bad MAC is not what a crash leaves; with no earlier record
        # to confirm the key, it more likely means the wrong key.
        raise AuditRecoveryError(
            f"the only record in the trail ({files[-1].name}) does not verify ({bad.reason}); "
            "check the audit key"
        )
    return GENESIS


def _position_before(files: Sequence[Path], key: bytes) -> ChainPosition | None:
    """The last record of the newest non-empty closed file, or None if there is none."""
    for path in reversed(files):
        tail = read_tail(path, 1)
        if tail.fragment_offset < tail.size:
            raise AuditRecoveryError(f"closed file {path.name} ends in an incomplete line")
        if not tail.lines:
            continue
        try:
            return _position(unseal(key, tail.lines[-1][1]))
        except BadRecord as bad:
            raise AuditRecoveryError(
                f"the last record of closed file {path.name} does not verify ({bad.reason}): "
                "wrong key or damaged trail; run `vir-sidecar audit verify` on the directory"
            ) from None
    return None


def _quarantine(active: Path, cut: int, size: int, now: datetime) -> Path:
    """Copy bytes [cut, size) of `active` to a new quarantine file, then truncate at `cut`."""
    destination = quarantine_path(active, now)
    with active.open("rb") as file:
        file.seek(cut)
        torn = file.read(size - cut)
    durable_io.create_file(destination, torn)
    fd = os.open(active, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, cut)
        os.fsync(fd)
    finally:
        os.close(fd)
    durable_io.fsync_directory(active.parent)
    return destination
