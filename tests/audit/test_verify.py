from pathlib import Path

import orjson
import pytest

from sidecar.audit import verify_paths
from sidecar.audit.chain import seal

from .helpers import KEY, OTHER_KEY, fields, read_lines, write_lines, write_trail


@pytest.fixture
async def one_file(trail_dir: Path) -> Path:
    (path,) = await write_trail(trail_dir, 6)
    return path


@pytest.fixture
async def rotated(trail_dir: Path) -> list[Path]:
    files = await write_trail(trail_dir, 12, max_file_bytes=400)
    assert len(files) >= 4
    return files


def test_clean_chain_verifies(one_file: Path) -> None:
    result = verify_paths([one_file], KEY)

    assert (result.ok, result.records, result.files, result.last_seq) == (True, 6, 1, 6)
    assert result.summary() == "ok: 6 records in 1 files, chain intact"


def test_clean_rotated_chain_verifies_from_directory_or_files(rotated: list[Path]) -> None:
    by_directory = verify_paths([rotated[0].parent], KEY)
    by_files = verify_paths(rotated, KEY)

    assert by_directory == by_files
    assert (by_directory.ok, by_directory.records, by_directory.files) == (True, 12, len(rotated))


def test_edited_record_fails_its_mac(one_file: Path) -> None:
    lines = read_lines(one_file)
    lines[3] = lines[3].replace(b'"allow"', b'"deny"')
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.file, result.line) == (False, one_file, 4)
    assert "MAC mismatch" in str(result.reason)
    assert result.summary().startswith(f"FAIL: {one_file}:4: MAC mismatch")


def test_deleted_record_is_a_seq_gap(one_file: Path) -> None:
    lines = read_lines(one_file)
    del lines[2]
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 3)
    assert "seq gap: expected 3, found 4" in str(result.reason)


def test_duplicated_record_is_out_of_order(one_file: Path) -> None:
    lines = read_lines(one_file)
    lines.insert(4, lines[1])
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 5)
    assert "out of order" in str(result.reason)


def test_forged_record_fails_its_mac(one_file: Path) -> None:
    lines = read_lines(one_file)
    previous = orjson.loads(lines[1])
    forged, _ = seal(OTHER_KEY, fields(99), previous["seq"] + 1, previous["mac"])
    lines.insert(2, forged)
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 3)
    assert "MAC mismatch" in str(result.reason)


def test_record_from_another_trail_with_the_same_key_breaks_the_link(one_file: Path) -> None:
    lines = read_lines(one_file)
    stranger, _ = seal(KEY, fields(99), 3, "f" * 64)
    lines[2] = stranger
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 3)
    assert "prev_mac does not match" in str(result.reason)


def test_reordered_records_are_detected(one_file: Path) -> None:
    lines = read_lines(one_file)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 3)
    assert "seq gap: expected 3, found 4" in str(result.reason)


def test_line_cut_short_is_an_incomplete_line(one_file: Path) -> None:
    data = one_file.read_bytes()
    one_file.write_bytes(data[:-20])

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 6)
    assert "incomplete final line" in str(result.reason)


def test_truncated_middle_file_cuts_the_chain(rotated: list[Path]) -> None:
    lines = read_lines(rotated[1])
    write_lines(rotated[1], lines[:-1])

    result = verify_paths(rotated, KEY)

    assert (result.ok, result.file, result.line) == (False, rotated[2], 1)
    assert f"chain cut after {rotated[1].name}: seq gap" in str(result.reason)


def test_file_missing_from_the_middle_cuts_the_chain(rotated: list[Path]) -> None:
    rotated[1].unlink()

    result = verify_paths([rotated[0].parent], KEY)

    assert (result.ok, result.file, result.line) == (False, rotated[2], 1)
    assert f"chain cut after {rotated[0].name}" in str(result.reason)
    assert "records deleted or missing" in str(result.reason)


def test_file_that_does_not_link_to_the_previous_one(rotated: list[Path]) -> None:
    last = orjson.loads(read_lines(rotated[0])[-1])
    lines = read_lines(rotated[1])
    first = orjson.loads(lines[0])
    unsealed = {k: v for k, v in first.items() if k not in {"seq", "prev_mac", "mac"}}
    lines[0], _ = seal(KEY, unsealed, last["seq"] + 1, "e" * 64)
    write_lines(rotated[1], lines)

    result = verify_paths(rotated, KEY)

    assert (result.ok, result.file, result.line) == (False, rotated[1], 1)
    assert "chain cut after" in str(result.reason)
    assert "prev_mac does not match" in str(result.reason)


def test_missing_first_file_means_no_genesis(rotated: list[Path]) -> None:
    rotated[0].unlink()

    result = verify_paths([rotated[1].parent], KEY)
    partial = verify_paths([rotated[1].parent], KEY, from_genesis=False)

    assert (result.ok, result.file, result.line) == (False, rotated[1], 1)
    assert "does not start at genesis" in str(result.reason)
    assert partial.ok
    assert partial.last_seq == 12


def test_files_given_out_of_order_are_detected(rotated: list[Path]) -> None:
    result = verify_paths([rotated[1], rotated[0], *rotated[2:]], KEY)

    assert (result.ok, result.file, result.line) == (False, rotated[1], 1)


def test_removed_tail_is_only_caught_by_an_anchor(one_file: Path) -> None:
    anchor = orjson.loads(read_lines(one_file)[-1])["mac"]
    assert verify_paths([one_file], KEY, anchor_mac=anchor).ok

    write_lines(one_file, read_lines(one_file)[:-2])

    assert verify_paths([one_file], KEY).ok
    result = verify_paths([one_file], KEY, anchor_mac=anchor)
    assert (result.ok, result.file, result.line) == (False, one_file, None)
    assert "anchored MAC" in str(result.reason)
    assert result.summary().startswith(f"FAIL: {one_file}: anchored MAC")


def test_wrong_key_fails_on_the_first_line(one_file: Path) -> None:
    result = verify_paths([one_file], OTHER_KEY)

    assert (result.ok, result.line) == (False, 1)
    assert "wrong key" in str(result.reason)


def test_directory_without_audit_files_fails(tmp_path: Path) -> None:
    result = verify_paths([tmp_path], KEY)

    assert (result.ok, result.file) == (False, tmp_path)
    assert "no audit files" in str(result.reason)


def test_blank_line_is_reported(one_file: Path) -> None:
    lines = read_lines(one_file)
    lines.insert(1, b"\n")
    write_lines(one_file, lines)

    result = verify_paths([one_file], KEY)

    assert (result.ok, result.line) == (False, 2)
