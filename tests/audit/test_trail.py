import asyncio
import errno
import random
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from sidecar.audit import (
    GENESIS_MAC,
    AuditError,
    AuditTrail,
    AuditWriteError,
    Pseudonymiser,
    build_record,
    durable_io,
    verify_paths,
)

from .helpers import (
    FREE_TEXT,
    KEY,
    VICTIM_ID,
    all_bytes,
    audit_files,
    fields,
    names,
    read_lines,
    sample_request,
)


async def test_each_append_is_one_sealed_line(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        await trail.append(fields(1))
        await trail.append(fields(2))
        assert trail.records_written == 2
        assert trail.last_seq == 2

    lines = read_lines(trail_dir / "audit-000001.jsonl")
    first, second = (orjson.loads(line) for line in lines)
    assert (first["seq"], first["prev_mac"], first["decision_id"]) == (1, GENESIS_MAC, "d-1")
    assert (second["seq"], second["prev_mac"]) == (2, first["mac"])
    assert verify_paths([trail_dir], KEY).ok


@pytest.mark.parametrize("fsync", [True, False])
async def test_record_is_in_the_file_when_append_returns(trail_dir: Path, fsync: bool) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=fsync) as trail:
        await trail.append(fields(0))
        await trail.append(fields(1))

        last = orjson.loads(read_lines(trail.active_file)[-1])
        assert (last["seq"], last["decision_id"]) == (2, "d-1")


async def test_reopening_continues_the_chain(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        await trail.append(fields(1))
        last_mac = trail.last_mac
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert (trail.last_seq, trail.last_mac) == (1, last_mac)
        assert trail.recovered is None
        await trail.append(fields(2))

    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records, result.last_seq) == (True, 2, 2)


async def test_files_rotate_by_size_and_the_chain_spans_them(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY, max_file_bytes=600) as trail:
        for number in range(20):
            await trail.append(fields(number))
        active = trail.active_file

    files = audit_files(trail_dir)
    assert len(files) > 3
    assert active == files[-1]
    assert all(path.stat().st_size <= 600 for path in files)
    first_of_second = orjson.loads(read_lines(files[1])[0])
    last_of_first = orjson.loads(read_lines(files[0])[-1])
    assert first_of_second["prev_mac"] == last_of_first["mac"]
    assert first_of_second["seq"] == last_of_first["seq"] + 1
    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records, result.files) == (True, 20, len(files))


async def test_reopening_after_rotation_appends_to_the_newest_file(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY, max_file_bytes=600) as trail:
        for number in range(10):
            await trail.append(fields(number))
        active = trail.active_file
    async with await AuditTrail.open(trail_dir, KEY, max_file_bytes=600) as trail:
        assert trail.active_file == active
        await trail.append(fields(10))

    assert verify_paths([trail_dir], KEY).records == 11


async def test_concurrent_appends_share_fsyncs(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=True) as trail:
        await asyncio.gather(*(trail.append(fields(number)) for number in range(200)))

        assert trail.records_written == 200
        assert 1 <= trail.fsyncs < 200 / 4


async def test_staggered_concurrent_appends_still_batch(trail_dir: Path) -> None:
    rng = random.Random(7)

    async def check(number: int) -> None:
        await asyncio.sleep(rng.random() / 100)
        await trail.append(fields(number))

    async with await AuditTrail.open(trail_dir, KEY, fsync=True) as trail:
        await asyncio.gather(*(check(number) for number in range(200)))
        assert trail.fsyncs < 200 / 4

    assert verify_paths([trail_dir], KEY).records == 200


async def test_fsync_off_counts_no_fsyncs(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=False) as trail:
        await asyncio.gather(*(trail.append(fields(number)) for number in range(10)))
        assert (trail.records_written, trail.fsyncs) == (10, 0)


async def test_no_victim_id_or_free_text_reaches_the_file(trail_dir: Path) -> None:
    record = build_record(
        decision_id="dec-1",
        request=sample_request(),
        outcome="allow",
        codes=[],
        caller="records-system",
        policy_revision="rev",
        time=datetime.now(UTC),
        pseudonymiser=Pseudonymiser(KEY),
    )
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        await trail.append(record)

    data = all_bytes(trail_dir)
    assert VICTIM_ID.encode() not in data
    assert b"marker-" not in data
    for value in FREE_TEXT.values():
        assert value.encode() not in data


async def test_chain_fields_and_unserialisable_values_are_refused(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        with pytest.raises(ValueError, match="chain fields"):
            await trail.append({"seq": 5, "outcome": "allow"})
        with pytest.raises(ValueError, match="serialisable"):
            await trail.append({"outcome": object()})
        await trail.append(fields(1))
        assert trail.last_seq == 1


async def test_append_after_close_raises(trail_dir: Path) -> None:
    trail = await AuditTrail.open(trail_dir, KEY)
    await trail.aclose()

    assert not trail.healthy
    with pytest.raises(AuditWriteError, match="closed"):
        await trail.append(fields(1))
    await trail.aclose()


async def test_close_drains_pending_appends(trail_dir: Path) -> None:
    trail = await AuditTrail.open(trail_dir, KEY)
    appends = [asyncio.create_task(trail.append(fields(number))) for number in range(50)]
    await asyncio.sleep(0)
    await trail.aclose()

    await asyncio.gather(*appends)
    assert verify_paths([trail_dir], KEY).records == 50


async def test_a_second_writer_on_the_same_directory_is_refused(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY):
        with pytest.raises(AuditError, match="in use"):
            await AuditTrail.open(trail_dir, KEY)


async def test_short_key_is_refused(trail_dir: Path) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        await AuditTrail.open(trail_dir, b"short")


async def test_directory_is_created_private(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b"
    async with await AuditTrail.open(directory, KEY):
        pass

    assert directory.stat().st_mode & 0o077 == 0
    assert (directory / "audit-000001.jsonl").exists()


async def _fill_with_failures(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, failing: str
) -> tuple[int, list[BaseException | None]]:
    """Append three records while `failing` (write or fsync) raises ENOSPC."""
    size = trail.active_file.stat().st_size

    def no_space(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable_io, failing, no_space)
    results = await asyncio.gather(
        *(trail.append(fields(number)) for number in range(3)), return_exceptions=True
    )
    monkeypatch.undo()
    return size, list(results)


@pytest.mark.parametrize("failing", ["write_all", "fsync"])
async def test_failed_batch_raises_for_every_waiter_and_leaves_the_chain(
    trail_dir: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        await trail.append(fields(0))
        seq, mac = trail.last_seq, trail.last_mac

        size, results = await _fill_with_failures(trail, monkeypatch, failing)

        assert all(isinstance(result, AuditWriteError) for result in results)
        assert not trail.healthy
        assert (trail.last_seq, trail.last_mac) == (seq, mac)
        assert trail.active_file.stat().st_size == size

        await trail.append(fields(4))
        assert trail.healthy
        assert trail.last_seq == seq + 1

    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records) == (True, 2)


async def test_partly_written_batch_is_cut_back(
    trail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_all = durable_io.write_all

    def half_then_fail(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.EIO, "Input/output error")

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        await trail.append(fields(0))
        size = trail.active_file.stat().st_size
        monkeypatch.setattr(durable_io, "write_all", half_then_fail)

        with pytest.raises(AuditWriteError, match="Input/output error"):
            await trail.append(fields(1))

        assert trail.active_file.stat().st_size == size
        monkeypatch.undo()
        await trail.append(fields(2))

    assert verify_paths([trail_dir], KEY).records == 2


async def test_failed_cut_back_stops_the_trail_until_reopened(
    trail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_all = durable_io.write_all

    def half_then_fail(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.EIO, "Input/output error")

    def no_truncate(fd: int, size: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    trail = await AuditTrail.open(trail_dir, KEY)
    await trail.append(fields(0))
    monkeypatch.setattr(durable_io, "write_all", half_then_fail)
    monkeypatch.setattr(durable_io, "truncate", no_truncate)
    with pytest.raises(AuditWriteError):
        await trail.append(fields(1))
    monkeypatch.undo()

    assert not trail.healthy
    assert not await trail.check_writable()
    with pytest.raises(AuditWriteError, match="restart"):
        await trail.append(fields(2))
    await trail.aclose()

    async with await AuditTrail.open(trail_dir, KEY) as reopened:
        assert reopened.recovered is not None
        assert reopened.last_seq == 1
        await reopened.append(fields(3))
    assert verify_paths([trail_dir], KEY).records == 2


async def test_failure_to_start_a_new_file_fails_the_batch_only(
    trail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_directory_sync(directory: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    async with await AuditTrail.open(trail_dir, KEY, max_file_bytes=200) as trail:
        await trail.append(fields(0))
        monkeypatch.setattr(durable_io, "fsync_directory", no_directory_sync)
        with pytest.raises(AuditWriteError, match="new audit file"):
            await trail.append(fields(1))
        monkeypatch.undo()
        await trail.append(fields(2))

    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records, result.files) == (True, 2, 2)


async def test_check_writable_probes_the_directory(
    trail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(directory: Path, *, sync: bool) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    async with await AuditTrail.open(trail_dir, KEY) as trail:
        assert await trail.check_writable()
        monkeypatch.setattr(durable_io, "probe_directory", no_space)
        assert not await trail.check_writable()

    assert names(trail_dir) == [
        "audit-000001.jsonl",
        "audit.lock",
    ]


async def test_record_of_a_cancelled_append_is_still_written(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        cancelled = asyncio.create_task(trail.append(fields(1)))
        await asyncio.sleep(0)
        cancelled.cancel()
        await trail.append(fields(2))

    assert cancelled.cancelled()
    result = verify_paths([trail_dir], KEY)
    assert (result.ok, result.records) == (True, 2)


async def test_submit_returns_the_future_append_awaits(trail_dir: Path) -> None:
    async with await AuditTrail.open(trail_dir, KEY) as trail:
        write = trail.submit(fields(1))
        assert not write.done()
        # Shielded and cancelled from outside, the write still completes.
        shielded = asyncio.ensure_future(asyncio.shield(write))
        await asyncio.sleep(0)
        shielded.cancel()
        await write
        assert trail.last_seq == 1
        assert [orjson.loads(line)["seq"] for line in read_lines(trail.active_file)] == [1]


async def test_submit_refuses_at_once(trail_dir: Path) -> None:
    trail = await AuditTrail.open(trail_dir, KEY)
    with pytest.raises(ValueError, match="chain fields"):
        trail.submit({**fields(1), "seq": 5})
    await trail.aclose()
    with pytest.raises(AuditWriteError, match="closed"):
        trail.submit(fields(2))
