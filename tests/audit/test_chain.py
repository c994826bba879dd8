import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.audit.chain import (
    CHAIN_FIELDS,
    GENESIS_MAC,
    BadRecord,
    canonical_json,
    compute_mac,
    seal,
    unseal,
)

from .helpers import KEY, OTHER_KEY


def test_mac_is_hmac_of_sorted_compact_json_without_the_mac() -> None:
    line, mac = seal(KEY, {"outcome": "deny", "codes": ["a", "b"], "victim": None}, 1, GENESIS_MAC)

    record = json.loads(line)
    assert record.pop("mac") == mac
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    assert mac == hmac.new(KEY, canonical, hashlib.sha256).hexdigest()
    assert record["seq"] == 1
    assert record["prev_mac"] == GENESIS_MAC


def test_line_is_canonical_json_with_one_newline() -> None:
    line, _ = seal(KEY, {"b": 1, "a": "é"}, 7, GENESIS_MAC)

    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    record = json.loads(line)
    assert line[:-1] == json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def test_unseal_returns_the_chain_fields() -> None:
    line, mac = seal(KEY, {"outcome": "allow"}, 3, "a" * 64)

    link = unseal(KEY, line.rstrip(b"\n"))

    assert (link.seq, link.prev_mac, link.mac) == (3, "a" * 64, mac)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"seq": 0, "prev_mac": "' + b"0" * 64 + b'", "mac": "' + b"0" * 64 + b'"}', "seq"),
        (b'{"seq": true, "prev_mac": "' + b"0" * 64 + b'", "mac": "' + b"0" * 64 + b'"}', "seq"),
        (b'{"seq": 1, "prev_mac": "xyz", "mac": "' + b"0" * 64 + b'"}', "prev_mac"),
        (b'{"seq": 1, "prev_mac": "' + b"0" * 64 + b'"}', "mac"),
    ],
)
def test_unseal_rejects_malformed_lines(line: bytes, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        unseal(KEY, line)


def test_unseal_rejects_an_edited_record() -> None:
    line, _ = seal(KEY, {"outcome": "deny"}, 1, GENESIS_MAC)

    with pytest.raises(BadRecord, match="MAC mismatch"):
        unseal(KEY, line.replace(b'"deny"', b'"allow"').rstrip(b"\n"))


def test_unseal_rejects_the_wrong_key() -> None:
    line, _ = seal(KEY, {"outcome": "deny"}, 1, GENESIS_MAC)

    with pytest.raises(BadRecord, match="MAC mismatch"):
        unseal(OTHER_KEY, line.rstrip(b"\n"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"{", b'{"outcome":"allow",'),
        (b'"outcome":', b'"outcome": '),
        (b'"deny"', b'"d\\u0065ny"'),
        (b"}", b"}\r"),
        (b"{", b" {"),
    ],
    ids=["duplicate_key", "whitespace", "escape", "carriage_return", "leading_space"],
)
def test_unseal_rejects_a_line_that_is_not_the_sealed_bytes(old: bytes, new: bytes) -> None:
    line, _ = seal(KEY, {"outcome": "deny", "codes": []}, 1, GENESIS_MAC)
    altered = line.rstrip(b"\n").replace(old, new, 1)
    assert altered != line.rstrip(b"\n")

    with pytest.raises(BadRecord, match="not the bytes that were sealed") as bad:
        unseal(KEY, altered)
    assert bad.value.parsed


def test_unseal_tells_unparseable_lines_from_altered_ones() -> None:
    line, _ = seal(KEY, {"outcome": "deny"}, 1, GENESIS_MAC)

    with pytest.raises(BadRecord) as torn:
        unseal(KEY, line[:20])
    with pytest.raises(BadRecord) as altered:
        unseal(KEY, line.replace(b'"deny"', b'"allow"').rstrip(b"\n"))
    assert (torn.value.parsed, altered.value.parsed) == (False, True)


# Keys either side of the chain fields, and any others, with any JSON values.
_NEAR_CHAIN_KEYS = st.sampled_from(
    [
        "",
        "a",
        "ma",
        "mab",
        "mac0",
        "mac_",
        "macs",
        "mad",
        "prev",
        "prev_mab",
        "prev_mac0",
        "prev_mad",
        "s",
        "seq0",
        "seq_",
        "sep",
        "ser",
        "z",
        "é",
        "\u4e2d",
        "\U0001f600",
    ]
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    fields=st.dictionaries(
        _NEAR_CHAIN_KEYS | st.text(max_size=8).filter(lambda k: k not in CHAIN_FIELDS),
        _JSON,
        max_size=8,
    ),
    seq=st.integers(1, 2**63),
    prev_mac=st.text("0123456789abcdef", min_size=64, max_size=64),
)
def test_the_sealed_line_is_the_canonical_json_of_the_whole_record(
    fields: dict[str, object], seq: int, prev_mac: str
) -> None:
    line, mac = seal(KEY, fields, seq, prev_mac)
    unsealed = {**fields, "seq": seq, "prev_mac": prev_mac}
    assert mac == compute_mac(KEY, unsealed)
    assert line == canonical_json({**unsealed, "mac": mac}) + b"\n"
    assert unseal(KEY, line[:-1]).mac == mac
