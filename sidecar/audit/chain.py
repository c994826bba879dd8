"""Sealing records into the MAC chain and checking a sealed line.

A sealed record is the caller's fields plus `seq`, `prev_mac` and `mac`, where
`mac` = HMAC-SHA256(audit key, canonical JSON of every other field) and canonical JSON is
orjson with sorted keys, no whitespace, UTF-8. Each record's `prev_mac` is the `mac` of the
record before it, or GENESIS_MAC for the first record ever.

A line is only accepted as exactly the bytes that were sealed: the canonical JSON of the whole
record, `mac` included. Otherwise a line could say one thing to a reader (a duplicate key, an
escape, extra whitespace) and verify as another.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

GENESIS_MAC = "0" * 64
CHAIN_FIELDS = frozenset({"seq", "prev_mac", "mac"})
_MAC_PATTERN = re.compile(r"[0-9a-f]{64}")


def canonical_json(fields: Mapping[str, object]) -> bytes:
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def compute_mac(key: bytes, unsealed: Mapping[str, object]) -> str:
    return hmac.new(key, canonical_json(unsealed), hashlib.sha256).hexdigest()


def seal(key: bytes, fields: Mapping[str, object], seq: int, prev_mac: str) -> tuple[bytes, str]:
    """Return the JSON line (with newline) for `fields` at `seq`, and its MAC."""
    record = {**fields, "seq": seq, "prev_mac": prev_mac}
    mac = compute_mac(key, record)
    record["mac"] = mac
    return canonical_json(record) + b"\n", mac


@dataclass(frozen=True)
class ChainLink:
    """The chain fields of one sealed record whose MAC checked out."""

    seq: int
    prev_mac: str
    mac: str


class BadRecord(ValueError):
    """A line is not a sealed record whose MAC checks out under the key.

    `parsed` is False when the line is not JSON at all, which is what a torn write leaves;
    a line that parses but does not verify was written or changed by something else.
    """

    def __init__(self, reason: str, *, parsed: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parsed = parsed


def unseal(key: bytes, line: bytes) -> ChainLink:
    """Check one line (without its newline) and return its chain fields, or raise BadRecord."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BadRecord("not valid JSON", parsed=False) from None
    if not isinstance(record, dict):
        raise BadRecord("not a JSON object")
    seq = record.get("seq")
    prev_mac = record.get("prev_mac")
    mac = record.get("mac")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadRecord("missing or malformed seq")
    if not isinstance(prev_mac, str) or not _MAC_PATTERN.fullmatch(prev_mac):
        raise BadRecord("missing or malformed prev_mac")
    if not isinstance(mac, str) or not _MAC_PATTERN.fullmatch(mac):
        raise BadRecord("missing or malformed mac")
    try:
        canonical = canonical_json(record)
    except orjson.JSONEncodeError:
        raise BadRecord("not valid JSON") from None
    if canonical != line:
        raise BadRecord(
            "not the bytes that were sealed: duplicate keys, reordered keys, whitespace or "
            "escapes differ from the canonical form (record altered)"
        )
    del record["mac"]
    expected = compute_mac(key, record)
    if not hmac.compare_digest(expected, mac):
        raise BadRecord("MAC mismatch: record altered, or wrong key")
    return ChainLink(seq=seq, prev_mac=prev_mac, mac=mac)
