"""The attack run's tamper cases against `vir-sidecar audit verify`, one per row.

Every change to a sealed trail must make verify exit 1, except removing records from the end
of the trail, which leaves a shorter valid chain: verify sees that only with --anchor-mac.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sidecar.audit import AuditTrail, verify_main
from sidecar.audit.chain import seal

from .helpers import KEY, OTHER_KEY, audit_files, read_lines, write_lines

RECORDS = 12


def record(number: int) -> dict[str, object]:
    """Records that look like decisions, denies among them, one with non-ASCII text."""
    return {
        "decision_id": f"d-{number}",
        "outcome": "deny" if number % 3 == 0 else "allow",
        "codes": ["clearance_missing"] if number % 3 == 0 else [],
        "requester_body": "gendarmerie-zoë" if number == 4 else "police",
    }


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.key"
    path.write_text(KEY.hex())
    return path


@pytest.fixture
async def trail(tmp_path: Path) -> Path:
    """12 records in 4 files of 3; the last record of file 2 (seq 6) is a deny."""
    directory = tmp_path / "audit"
    async with await AuditTrail.open(directory, KEY, fsync=False, max_file_bytes=800) as audit:
        for number in range(1, RECORDS + 1):
            await audit.append(record(number))
    assert [len(read_lines(path)) for path in audit_files(directory)] == [3, 3, 3, 3]
    return directory


def verify(directory: Path, key_file: Path, *extra: str) -> int:
    return verify_main(["--key-file", str(key_file), *extra, str(directory)])


# --- helpers that change the files ---------------------------------------------------


def file_of(directory: Path, number: int) -> Path:
    return audit_files(directory)[number - 1]


def edit_line(directory: Path, file: int, line: int, change: Callable[[bytes], bytes]) -> None:
    path = file_of(directory, file)
    lines = read_lines(path)
    lines[line] = change(lines[line])
    write_lines(path, lines)


def edit_field(directory: Path, file: int, line: int, name: str, value: object) -> None:
    def change(raw: bytes) -> bytes:
        fields = orjson.loads(raw)
        fields[name] = value
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS) + b"\n"

    edit_line(directory, file, line, change)


def delete_line(directory: Path, file: int, line: int) -> None:
    path = file_of(directory, file)
    lines = read_lines(path)
    del lines[line]
    write_lines(path, lines)


def insert_line(directory: Path, file: int, at: int, new: bytes) -> None:
    path = file_of(directory, file)
    lines = read_lines(path)
    lines.insert(at, new)
    write_lines(path, lines)


def swap_lines(directory: Path, file: int, first: int, second: int) -> None:
    path = file_of(directory, file)
    lines = read_lines(path)
    lines[first], lines[second] = lines[second], lines[first]
    write_lines(path, lines)


def forged(key: bytes, after: bytes) -> bytes:
    previous = orjson.loads(after)
    line, _ = seal(key, record(99), previous["seq"] + 1, previous["mac"])
    return line


def reseal_everything(directory: Path, key: bytes) -> None:
    seq, mac = 0, "0" * 64
    for path in audit_files(directory):
        lines = []
        for raw in read_lines(path):
            fields = orjson.loads(raw)
            for name in ("seq", "prev_mac", "mac"):
                del fields[name]
            seq += 1
            line, mac = seal(key, fields, seq, mac)
            lines.append(line)
        write_lines(path, lines)


def swap_files(directory: Path, first: int, second: int) -> None:
    a, b = file_of(directory, first), file_of(directory, second)
    spare = directory / "spare"
    a.rename(spare)
    b.rename(a)
    spare.rename(b)


def replace_bytes(directory: Path, file: int, line: int, old: bytes, new: bytes) -> None:
    def change(raw: bytes) -> bytes:
        assert old in raw, (old, raw)
        return raw.replace(old, new, 1)

    edit_line(directory, file, line, change)


def keys_in_reverse(raw: bytes) -> bytes:
    fields = orjson.loads(raw)
    return orjson.dumps(dict(reversed(fields.items()))) + b"\n"


def truncate_mid_line(directory: Path) -> None:
    path = file_of(directory, 4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])


def plant_quarantine(directory: Path, data: bytes) -> None:
    (directory / "audit-000004.jsonl.quarantine-20260101T000000000000Z").write_bytes(data)


def delete_and_quarantine_last(directory: Path) -> None:
    """What a restart with --audit-accept-damaged-tail leaves, minus its own record."""
    path = file_of(directory, 4)
    lines = read_lines(path)
    write_lines(path, lines[:-1])
    plant_quarantine(directory, lines[-1].replace(b'"allow"', b'"deny"'))


# Line indexes are 0-based within a file; file numbers are 1-based.
TAMPER_CASES: dict[str, Callable[[Path], None]] = {
    # Records edited, forged, deleted, inserted, reordered.
    "edit_deny_to_allow": lambda d: replace_bytes(d, 2, 2, b'"deny"', b'"allow"'),
    "edit_codes_emptied": lambda d: edit_field(d, 2, 2, "codes", []),
    "edit_seq": lambda d: edit_field(d, 2, 1, "seq", 50),
    "edit_prev_mac": lambda d: edit_field(d, 2, 1, "prev_mac", "a" * 64),
    "edit_mac": lambda d: edit_field(d, 2, 1, "mac", "b" * 64),
    "edit_first_record": lambda d: edit_field(d, 1, 0, "outcome", "deny"),
    "edit_last_record": lambda d: edit_field(d, 4, 2, "outcome", "allow"),
    "delete_first_record": lambda d: delete_line(d, 1, 0),
    "delete_middle_record": lambda d: delete_line(d, 2, 1),
    "delete_first_record_of_a_file": lambda d: delete_line(d, 3, 0),
    "insert_duplicate_record": lambda d: insert_line(d, 2, 2, read_lines(file_of(d, 1))[1]),
    "insert_record_forged_with_another_key": lambda d: insert_line(
        d, 2, 2, forged(OTHER_KEY, read_lines(file_of(d, 2))[1])
    ),
    "insert_record_sealed_off_the_chain": lambda d: insert_line(
        d, 2, 2, seal(KEY, record(99), 6, "c" * 64)[0]
    ),
    "reorder_adjacent_records": lambda d: swap_lines(d, 2, 0, 1),
    "reorder_files": lambda d: swap_files(d, 2, 3),
    # Files cut or removed; the key replaced.
    "truncate_last_line_mid_record": truncate_mid_line,
    "truncate_closed_file": lambda d: delete_line(d, 2, 2),
    "delete_middle_file": lambda d: file_of(d, 2).unlink(),
    "delete_first_file": lambda d: file_of(d, 1).unlink(),
    "replace_key_and_reseal": lambda d: reseal_everything(d, OTHER_KEY),
    "quarantine_planted_with_a_complete_record": delete_and_quarantine_last,
    "quarantined_torn_write_not_accepted": lambda d: plant_quarantine(d, b'{"decision_id":'),
    # Byte-level edits that leave the parsed record, and so its MAC, unchanged.
    "prefix_injection_outcome_allow": lambda d: replace_bytes(
        d, 2, 2, b"{", b'{"outcome":"allow","codes":[],'
    ),
    "duplicate_key_later_value_wins": lambda d: replace_bytes(
        d, 2, 2, b'"codes":', b'"codes":[],"codes":'
    ),
    "whitespace_after_colon": lambda d: replace_bytes(d, 2, 2, b'"outcome":', b'"outcome": '),
    "whitespace_after_comma": lambda d: replace_bytes(d, 2, 2, b",", b", "),
    "whitespace_before_newline": lambda d: replace_bytes(d, 2, 2, b"}\n", b"} \n"),
    "whitespace_at_line_start": lambda d: replace_bytes(d, 2, 2, b"{", b" {"),
    "unicode_escape_of_ascii": lambda d: replace_bytes(d, 2, 2, b'"deny"', b'"d\\u0065ny"'),
    "unicode_escape_of_non_ascii": lambda d: replace_bytes(d, 2, 0, "ë".encode(), b"\\u00eb"),
    "unicode_escape_of_punctuation": lambda d: replace_bytes(d, 2, 2, b'"d-6"', b'"d\\u002d6"'),
    "crlf_line_ending": lambda d: replace_bytes(d, 2, 2, b"}\n", b"}\r\n"),
    "keys_reordered": lambda d: edit_line(d, 2, 2, keys_in_reverse),
    "byte_order_mark": lambda d: replace_bytes(d, 1, 0, b"{", b"\xef\xbb\xbf{"),
    "seq_as_float": lambda d: replace_bytes(d, 2, 2, b'"seq":6', b'"seq":6.0'),
}


@pytest.mark.parametrize("tamper", TAMPER_CASES.values(), ids=TAMPER_CASES.keys())
def test_tampering_makes_verify_exit_1(
    trail: Path, key_file: Path, tamper: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify(trail, key_file) == 0
    capsys.readouterr()

    tamper(trail)

    assert verify(trail, key_file) == 1
    assert capsys.readouterr().out.startswith("FAIL: ")


def test_the_prefix_injection_shows_allow_to_grep_and_fails_as_not_canonical(
    trail: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    TAMPER_CASES["prefix_injection_outcome_allow"](trail)
    injected = read_lines(file_of(trail, 2))[2]
    assert injected.startswith(b'{"outcome":"allow"')
    assert orjson.loads(injected)["outcome"] == "deny"  # the parser keeps the last key

    assert verify(trail, key_file) == 1
    assert re.match(
        r"FAIL: .*audit-000002\.jsonl:3: not the bytes that were sealed", capsys.readouterr().out
    )


def test_quarantined_torn_write_is_accepted_only_on_request(trail: Path, key_file: Path) -> None:
    plant_quarantine(trail, b'{"decision_id":')

    assert verify(trail, key_file) == 1
    assert verify(trail, key_file, "--accept-quarantined") == 0


def test_quarantined_complete_record_fails_even_when_quarantine_is_accepted(
    trail: Path, key_file: Path
) -> None:
    delete_and_quarantine_last(trail)

    assert verify(trail, key_file, "--accept-quarantined") == 1


def remove_last_records(directory: Path, count: int) -> None:
    path = file_of(directory, 4)
    write_lines(path, read_lines(path)[:-count])


REMOVALS_FROM_THE_END: dict[str, Callable[[Path], None]] = {
    "remove_last_record": lambda d: remove_last_records(d, 1),
    "remove_last_two_records": lambda d: remove_last_records(d, 2),
    "empty_the_active_file": lambda d: file_of(d, 4).write_bytes(b""),
    "delete_the_active_file": lambda d: file_of(d, 4).unlink(),
    "delete_the_last_two_files": lambda d: [file_of(d, 3).unlink() for _ in (0, 1)],
}


@pytest.mark.parametrize("remove", REMOVALS_FROM_THE_END.values(), ids=REMOVALS_FROM_THE_END.keys())
def test_removal_from_the_end_is_caught_only_with_an_anchor(
    trail: Path, key_file: Path, remove: Callable[[Path], None]
) -> None:
    anchor = orjson.loads(read_lines(file_of(trail, 4))[-1])["mac"]
    assert verify(trail, key_file, "--anchor-mac", anchor) == 0

    remove(trail)

    assert verify(trail, key_file) == 0
    assert verify(trail, key_file, "--anchor-mac", anchor) == 1


def test_an_untouched_copy_verifies(trail: Path, key_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(trail, copy)

    assert verify(copy, key_file) == 0
