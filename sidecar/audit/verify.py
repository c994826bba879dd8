"""Checking a trail: every MAC, and that each record links to the one before it.

Reports the first problem only, by file and 1-based line: an edited record fails its MAC;
a deleted, inserted or reordered record breaks the seq / prev_mac link; a missing file shows
as a break at the start of the next one; a missing first file shows as a chain that does
not start at genesis. Deleting records from the very end of the trail leaves a valid, shorter
chain: only a MAC kept elsewhere (an anchor) can show that.

Each line must be byte for byte the canonical JSON that was sealed (see chain.unseal).
Quarantine files are not part of the chain, but each one is a finding: bytes set aside by
crash recovery. A torn write (no complete record in it) can be accepted on request; a complete
record set aside as damaged cannot, as it shows the trail was altered.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from sidecar.audit.chain import GENESIS_MAC, BadRecord, ChainLink, unseal
from sidecar.audit.files import is_quarantine_file, list_audit_files, list_quarantine_files
from sidecar.audit.recovery import GENESIS, ChainPosition


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verify_paths; when not ok, `file`/`line`/`reason` say what failed."""

    ok: bool
    records: int
    files: int
    file: Path | None = None
    line: int | None = None
    reason: str | None = None
    last_seq: int | None = None
    last_mac: str | None = None
    accepted_quarantine_files: int = 0

    def summary(self) -> str:
        if self.ok:
            accepted = (
                f"; {self.accepted_quarantine_files} quarantined torn writes accepted"
                if self.accepted_quarantine_files
                else ""
            )
            return f"ok: {self.records} records in {self.files} files, chain intact{accepted}"
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return f"FAIL: {where}: {self.reason}"


class _Failed(Exception):
    def __init__(self, file: Path, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.file, self.line, self.reason = file, line, reason


def verify_paths(
    paths: Sequence[Path],
    key: bytes,
    *,
    from_genesis: bool = True,
    anchor_mac: str | None = None,
    accept_quarantined: bool = False,
) -> VerifyResult:
    """Verify the trail made of `paths`, in the order given.

    A directory stands for its audit-NNNNNN.jsonl files in number order. Quarantine files
    (in a directory given, or given by name) are findings after the chain checks out, unless
    `accept_quarantined` and they hold only a torn write.
    With `from_genesis` the first record must be the first ever written (seq 1);
    without it, the chain may start anywhere (earlier files were shipped elsewhere).
    With `anchor_mac`, the trail must still contain the record with that MAC.
    """
    checker = _ChainChecker(key, GENESIS if from_genesis else None, anchor_mac)
    files: list[Path] = []
    quarantined: list[Path] = []
    try:
        for path in paths:
            files.extend(_audit_files(path))
            quarantined.extend(_quarantine_files(path))
        if not files:
            raise _Failed(paths[0] if paths else Path("."), None, "no audit files given")
        for path in files:
            checker.check_file(path)
        checker.check_anchor(files[-1])
        for path in quarantined:
            _check_quarantine_file(path, accept_torn=accept_quarantined)
    except _Failed as failure:
        return VerifyResult(
            ok=False,
            records=checker.records,
            files=len(files),
            file=failure.file,
            line=failure.line,
            reason=failure.reason,
        )
    last = checker.position
    return VerifyResult(
        ok=True,
        records=checker.records,
        files=len(files),
        last_seq=last.seq if last else None,
        last_mac=last.mac if last else None,
        accepted_quarantine_files=len(quarantined),
    )


def _audit_files(path: Path) -> list[Path]:
    if path.is_dir():
        try:
            found = list_audit_files(path)
        except OSError as exc:
            raise _Failed(path, None, f"cannot list directory: {exc.strerror}") from None
        if not found:
            raise _Failed(path, None, "no audit files (audit-NNNNNN.jsonl) in directory")
        return found
    return [] if is_quarantine_file(path) else [path]


def _quarantine_files(path: Path) -> list[Path]:
    if path.is_dir():
        try:
            return list_quarantine_files(path)
        except OSError as exc:
            raise _Failed(path, None, f"cannot list directory: {exc.strerror}") from None
    return [path] if is_quarantine_file(path) else []


def _check_quarantine_file(path: Path, *, accept_torn: bool) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Failed(path, None, f"cannot read: {exc.strerror}") from None
    if _holds_a_complete_record(data):
        raise _Failed(
            path,
            None,
            "quarantine file holds a complete record that failed verification and was set "
            "aside (--audit-accept-damaged-tail): the trail was altered; this is not a torn "
            "write and cannot be accepted",
        )
    if not accept_torn:
        raise _Failed(
            path,
            None,
            "quarantine file: a torn write set aside by crash recovery; inspect it, then "
            "verify with --accept-quarantined to accept it",
        )


def _holds_a_complete_record(data: bytes) -> bool:
    """True if any newline-terminated line of `data` parses as JSON."""
    for line in data.split(b"\n")[:-1]:
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        return True
    return False


class _ChainChecker:
    def __init__(self, key: bytes, start: ChainPosition | None, anchor_mac: str | None) -> None:
        self._key = key
        # None until the first record when the chain may start anywhere.
        self.position = start
        self._anchor_mac = anchor_mac
        self._anchor_found = False
        self._previous_file: Path | None = None
        self.records = 0

    def check_file(self, path: Path) -> None:
        try:
            with path.open("rb") as file:
                for number, line in enumerate(file, start=1):
                    self._check_line(path, number, line)
        except OSError as exc:
            raise _Failed(path, None, f"cannot read: {exc.strerror}") from None
        self._previous_file = path

    def check_anchor(self, last_file: Path) -> None:
        if self._anchor_mac is not None and not self._anchor_found:
            raise _Failed(
                last_file,
                None,
                f"anchored MAC {self._anchor_mac} not found: records were removed from the "
                "end of the trail, or it was replaced, after the anchor was taken",
            )

    def _check_line(self, path: Path, number: int, line: bytes) -> None:
        if not line.endswith(b"\n"):
            raise _Failed(
                path,
                number,
                "incomplete final line: a torn write that was never acknowledged "
                "(the sidecar quarantines it when it next opens the trail)",
            )
        try:
            link = unseal(self._key, line[:-1])
        except BadRecord as bad:
            raise _Failed(path, number, bad.reason) from None
        problem = self._link_problem(link)
        if problem is not None:
            if number == 1 and self._previous_file is not None:
                problem = f"chain cut after {self._previous_file.name}: {problem}"
            raise _Failed(path, number, problem)
        self.position = ChainPosition(seq=link.seq, mac=link.mac)
        self.records += 1
        if link.mac == self._anchor_mac:
            self._anchor_found = True

    def _link_problem(self, link: ChainLink) -> str | None:
        expected = self.position
        if expected is None:
            return None
        if expected == GENESIS:
            if link.seq != 1:
                return (
                    f"chain does not start at genesis: first record has seq {link.seq}, so "
                    f"records 1-{link.seq - 1} are missing (to check only the files kept "
                    "here, verify with --partial)"
                )
            if link.prev_mac != GENESIS_MAC:
                return "first record (seq 1) does not link to the genesis value"
            return None
        want = expected.seq + 1
        if link.seq > want:
            return (
                f"seq gap: expected {want}, found {link.seq} "
                f"({link.seq - want} records deleted or missing)"
            )
        if link.seq < want:
            return (
                f"seq out of order: expected {want}, found {link.seq} "
                "(record reordered, duplicated or inserted)"
            )
        if link.prev_mac != expected.mac:
            return "prev_mac does not match the previous record's mac (record inserted or replaced)"
        return None
