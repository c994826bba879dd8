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
    result = verify_paths([trail_dir], KEY)
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
    assert verify_paths([trail_dir], KEY).ok


async def test_final_line_with_bad_mac_is_quarantined_with_a_fragment(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 3)
    lines = read_lines(active)
    edited = lines[-1].replace(b'"allow"', b'"deny"')
    write_lines(active, [*lines[:-1], edited, b"{"])

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert trail.recovered is not None
        assert trail.recovered.quarantined_bytes == len(edited) + 1
        assert trail.last_seq == 2
        await trail.append(fields(9))

    (quarantine,) = quarantine_files(trail_dir)
    assert quarantine.read_bytes() == edited + b"{"
    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records) == (True, 3)


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


async def test_verify_ignores_quarantine_files(trail_dir: Path) -> None:
    (active,) = await write_trail(trail_dir, 2)
    active.write_bytes(active.read_bytes() + b"torn")
    async with await AuditTrail.open(trail_dir, KEY):
        pass
    (quarantine,) = quarantine_files(trail_dir)

    assert verify_paths([trail_dir], KEY).ok
    assert verify_paths([active, quarantine], KEY).ok
    assert names(trail_dir) == ["audit-000001.jsonl", quarantine.name, "audit.lock"]
