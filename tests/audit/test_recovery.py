from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sidecar.audit import AuditRecoveryError, AuditTrail, verify_paths
from sidecar.audit.chain import seal

from .helpers import (
    KEY,
    OTHER_KEY,
    RecordingLogger,
    audit_files,
    fields,
    names,
    read_lines,
    write_lines,
    write_trail,
)


def quarantine_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.quarantine-*"))


async def test_torn_last_line_is_quarantined_and_the_chain_continues(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    good = active.read_bytes()
    torn = b'{"decision_id":"d-3","outco'
    active.write_bytes(good + torn)
    logger = RecordingLogger()

    async with await AuditTrail.open(trail_dir, KEY, logger=logger) as trail:
        report = trail.recovered
        assert report is not None
        assert (report.file, report.truncated_to) == (active, len(good))
        assert report.quarantined_bytes == len(torn)
        assert report.resumed_after_seq == 3
        assert "incomplete final line" in report.reason
        assert trail.last_seq == 3
        await trail.append(fields(4))

    (quarantine,) = quarantine_files(trail_dir)
    assert quarantine == report.quarantine_file
    assert quarantine.name.startswith("audit-000001.jsonl.quarantine-")
    assert quarantine.read_bytes() == torn
    assert active.read_bytes().startswith(good)
    assert orjson.loads(read_lines(active)[-1])["seq"] == 4
    result = verify_paths([trail_dir], KEY, accept_quarantined=True)
    assert (result.ok, result.records, result.files) == (True, 4, 1)
    ((level, event, logged),) = logger.events
    assert (level, event) == ("warning", "audit_tail_quarantined")
    assert "outco" not in repr(logged)


async def test_garbage_final_line_is_quarantined(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    write_lines(active, [*lines, b"\0" * 40 + b'tail"}\n'])

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert trail.recovered is not None
        assert "not valid JSON" in trail.recovered.reason
        assert trail.last_seq == 3

    assert read_lines(active) == lines
    assert verify_paths([trail_dir], KEY, accept_quarantined=True).ok


def edit_outcome(line: bytes) -> bytes:
    return line.replace(b'"allow"', b'"deny"')


def prefix_allow(line: bytes) -> bytes:
    return b'{"outcome":"allow","codes":[],' + line[1:]


def break_mac(line: bytes) -> bytes:
    record = orjson.loads(line)
    record["mac"] = "f" * 64
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"


@pytest.mark.parametrize("damage", [edit_outcome, prefix_allow, break_mac])
@pytest.mark.parametrize("fragment", [b"", b"{"], ids=["complete", "with_fragment"])
async def test_complete_final_record_that_does_not_verify_stops_startup(
    trail_dir: Path, damage: Callable[[bytes], bytes], fragment: bytes
) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    write_lines(active, [*lines[:-1], damage(lines[-1]), fragment])
    before = active.read_bytes()

    with pytest.raises(AuditRecoveryError, match="--audit-accept-damaged-tail"):
        await AuditTrail.open(trail_dir, KEY)

    assert active.read_bytes() == before
    assert quarantine_files(trail_dir) == []


async def test_accepting_a_damaged_final_record_quarantines_it_and_records_the_acceptance(
    trail_dir: Path,
) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    edited = edit_outcome(lines[-1])
    write_lines(active, [*lines[:-1], edited, b"{"])
    logger = RecordingLogger()

    async with await AuditTrail.open(
        trail_dir, KEY, logger=logger, accept_damaged_tail=True
    ) as trail:
        report = trail.recovered
        assert report is not None
        assert report.damaged_record_accepted
        assert report.quarantined_bytes == len(edited) + 1
        assert report.resumed_after_seq == 2
        assert trail.last_seq == 3
        await trail.append(fields(9))

    (quarantine,) = quarantine_files(trail_dir)
    assert quarantine.read_bytes() == edited + b"{"
    acceptance = orjson.loads(read_lines(active)[2])
    assert acceptance["seq"] == 3
    assert (acceptance["outcome"], acceptance["error"]) == (
        "error",
        "audit_damaged_record_accepted",
    )
    assert acceptance["request_digest"] is None
    assert [(level, event) for level, event, _ in logger.events] == [
        ("error", "audit_damaged_record_accepted")
    ]
    chain_only = verify_paths([active], KEY)
    assert (chain_only.ok, chain_only.records) == (True, 4)
    for accept in (False, True):
        whole = verify_paths([trail_dir], KEY, accept_quarantined=accept)
        assert (whole.ok, whole.file) == (False, quarantine)
        assert "complete record" in str(whole.reason)


async def test_accept_damaged_tail_on_an_intact_trail_changes_nothing(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    before = active.read_bytes()

    async with await AuditTrail.open(trail_dir, KEY, accept_damaged_tail=True) as trail:
        assert trail.recovered is None
        assert trail.last_seq == 3

    assert active.read_bytes() == before


async def test_accept_damaged_tail_still_refuses_damage_beyond_the_final_line(
    trail_dir: Path,
) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    write_lines(active, [lines[0], edit_outcome(lines[1]), edit_outcome(lines[2])])

    with pytest.raises(AuditRecoveryError, match="last two lines"):
        await AuditTrail.open(trail_dir, KEY, accept_damaged_tail=True)


async def test_damage_beyond_the_final_line_needs_an_operator(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    write_lines(active, [lines[0], b"garbage\n", b"more garbage\n"])
    before = active.read_bytes()

    with pytest.raises(AuditRecoveryError, match="last two lines"):
        await AuditTrail.open(trail_dir, KEY)

    assert active.read_bytes() == before
    assert quarantine_files(trail_dir) == []


async def test_wrong_key_is_refused_without_touching_the_trail(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    before = active.read_bytes()

    with pytest.raises(AuditRecoveryError, match="key"):
        await AuditTrail.open(trail_dir, OTHER_KEY)

    assert active.read_bytes() == before
    assert quarantine_files(trail_dir) == []


async def test_wrong_key_on_a_one_record_trail_is_refused(trail_dir: Path) -> None:
    await write_trail(trail_dir, 1)

    with pytest.raises(AuditRecoveryError, match="check the audit key"):
        await AuditTrail.open(trail_dir, OTHER_KEY)


def write_torn_first_record(directory: Path) -> None:
    directory.mkdir()
    line, _ = seal(KEY, fields(0), 1, "0" * 64)
    (directory / "audit-000001.jsonl").write_bytes(line[:30])


async def test_torn_first_record_restarts_at_genesis(trail_dir: Path) -> None:
    write_torn_first_record(trail_dir)

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert trail.recovered is not None
        assert trail.last_seq == 0
        await trail.append(fields(1))

    assert verify_paths([trail_dir], KEY).records == 1


async def test_empty_active_file_continues_from_the_previous_file(trail_dir: Path) -> None:
    files = await write_trail(trail_dir, 10, max_file_bytes=400)
    (trail_dir / "audit-000099.jsonl").touch()

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert trail.recovered is None
        assert trail.last_seq == 10
        assert trail.active_file.name == "audit-000099.jsonl"
        await trail.append(fields(11))

    assert len(files) > 1
    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records) == (True, 11)


async def test_torn_line_emptying_a_rotated_active_file(trail_dir: Path) -> None:
    files = await write_trail(trail_dir, 10, max_file_bytes=400)
    newest = trail_dir / "audit-000099.jsonl"
    newest.write_bytes(b'{"decision_id":')

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert trail.recovered is not None
        assert trail.last_seq == 10
        await trail.append(fields(11))

    assert audit_files(trail_dir)[:-1] == files
    assert verify_paths([trail_dir], KEY).records == 11


async def test_verify_reports_a_torn_quarantine_file_unless_accepted(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 2)
    active.write_bytes(active.read_bytes() + b"torn")
    async with await AuditTrail.open(trail_dir, KEY):
        pass
    (quarantine,) = quarantine_files(trail_dir)

    for paths in ([trail_dir], [active, quarantine]):
        refused = verify_paths(paths, KEY)
        assert (refused.ok, refused.file, refused.records) == (False, quarantine, 2)
        assert "--accept-quarantined" in str(refused.reason)
        accepted = verify_paths(paths, KEY, accept_quarantined=True)
        assert (accepted.ok, accepted.accepted_quarantine_files) == (True, 1)
        assert accepted.summary().endswith("; 1 quarantined torn writes accepted")
    assert verify_paths([active], KEY).ok
    assert names(trail_dir) == ["audit-000001.jsonl", quarantine.name, "audit.lock"]
