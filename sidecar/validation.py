"""Checks a CheckRequest is well-formed before the policy sees it.

Missing statements (no justification, no clearance...) are policy matters and
come back as deny reasons; this module rejects only what the policy cannot
judge: a request that does not say who asks, about whom or for what kind of
record, unknown enum numbers, and oversize or out-of-range values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from sidecar.api import pb

ID_MAX_CHARS = 128
TEXT_MAX_CHARS = 10_000
REPEATED_MAX_ITEMS = 16

# Free-text fields; every other string is an identifier or code.
TEXT_FIELDS = frozenset(
    {
        "information_sought",
        "offence",
        "line_of_enquiry",
        "relevance",
        "necessity",
        "proportionality",
        "other_means",
        "probative_value",
        "presumption_rebuttal",
        "handling",
        "deferral_reason",
        "token",
    }
)

# Identifiers must be what they look like: the policy compares them and the audit trail
# pseudonymises them, so both must see the same characters. Paths from the CheckRequest.
IDENTIFIER_FIELDS: tuple[str, ...] = (
    "request_id",
    "requester.id",
    "record.id",
    "record.holder_id",
    "record.victim_id",
    "clearance.id",
    "clearance.authoriser_id",
    "clearance.victim_id",
    "investigation.crime_reference",
    "clearance.crime_reference",
)

# Control (Cc) and format (Cf: zero-width, bidi marks, BOM) characters, private-use and
# surrogate code points, line and paragraph separators, and every space but U+0020 (Zs).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp", "Zs"})
_PLAIN_SPACE = " "

# 2000-01-01T00:00:00Z and 2101-01-01T00:00:00Z: timestamps must fall in years 2000-2100.
EARLIEST_SECONDS = 946_684_800
LATEST_SECONDS = 4_133_980_800


@dataclass(frozen=True)
class InvalidRequest(Exception):
    """A request the sidecar will not evaluate, naming the offending field."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def validate(request: pb.CheckRequest) -> None:
    """Raise InvalidRequest for the first malformed field, or return None."""
    # Identifiers the audit trail must hold for the decision to be accountable.
    for path, value in (
        ("request_id", request.request_id),
        ("requester.id", request.requester.id),
        ("record.victim_id", request.record.victim_id),
    ):
        if not value.strip():
            raise InvalidRequest(path, "is required")
    _check_message(request, prefix="")
    for path, names in _IDENTIFIER_PATHS:
        _check_identifier(path, _field_value(request, names))
    if request.record.category == pb.RECORD_CATEGORY_UNSPECIFIED:
        raise InvalidRequest("record.category", "is required")


_IDENTIFIER_PATHS = tuple((path, tuple(path.split("."))) for path in IDENTIFIER_FIELDS)
# Printable ASCII but for the plain space: no hidden character, and the usual identifier.
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")


def _field_value(message: Message, names: tuple[str, ...]) -> str:
    value: object = message
    for name in names:
        value = getattr(value, name)
    assert isinstance(value, str)
    return value


def _check_identifier(path: str, value: str) -> None:
    """An empty identifier is for the policy to judge; a present one must be plain text."""
    if not value:
        return
    if value[0].isspace() or value[-1].isspace():
        raise InvalidRequest(path, "has leading or trailing whitespace")
    # Printable ASCII holds no hidden character (the only ASCII space is U+0020), so only
    # other text is looked at character by character.
    if not (value.isascii() and value.isprintable()):
        for character in value:
            if character != _PLAIN_SPACE and unicodedata.category(character) in _HIDDEN_CATEGORIES:
                raise InvalidRequest(
                    path, f"contains an invisible or control character (U+{ord(character):04X})"
                )
    if value.isascii():
        has_alnum = _ASCII_ALNUM.search(value) is not None
    else:
        has_alnum = any(character.isalnum() for character in value)
    if not has_alnum:
        raise InvalidRequest(path, "has no letter or digit")


@dataclass(frozen=True)
class _Rule:
    """What a field's values are checked against, read once from its descriptor."""

    kind: int
    repeated: bool
    max_chars: int
    enum_name: str
    enum_numbers: frozenset[int]


_rules: dict[FieldDescriptor, _Rule] = {}


def _rule(field: FieldDescriptor) -> _Rule:
    rule = _rules.get(field)
    if rule is None:
        enum = field.enum_type
        rule = _rules[field] = _Rule(
            kind=field.type,
            repeated=field.is_repeated,
            max_chars=TEXT_MAX_CHARS if field.name in TEXT_FIELDS else ID_MAX_CHARS,
            enum_name=enum.name if enum is not None else "",
            enum_numbers=frozenset(enum.values_by_number) if enum is not None else frozenset(),
        )
    return rule


_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_STRING = FieldDescriptor.TYPE_STRING
_ENUM = FieldDescriptor.TYPE_ENUM


def _check_message(message: Message, prefix: str) -> None:
    if isinstance(message, Timestamp):
        _check_timestamp(message, prefix.rstrip("."))
        return
    for field, value in message.ListFields():
        rule = _rules.get(field) or _rule(field)
        if rule.repeated:
            if len(value) > REPEATED_MAX_ITEMS:
                raise InvalidRequest(
                    prefix + field.name, f"has more than {REPEATED_MAX_ITEMS} items"
                )
            for index, item in enumerate(value):
                _check_value(rule, item, prefix, field.name, index)
        else:
            _check_value(rule, value, prefix, field.name, None)


def _check_value(rule: _Rule, value: object, prefix: str, name: str, index: int | None) -> None:
    # The path is spelt out only when needed: for a nested message, or to name a fault.
    kind = rule.kind
    if kind == _STRING:
        assert isinstance(value, str)
        if len(value) > rule.max_chars:
            raise InvalidRequest(
                _path(prefix, name, index), f"is longer than {rule.max_chars} characters"
            )
    elif kind == _MESSAGE:
        assert isinstance(value, Message)
        _check_message(value, _path(prefix, name, index) + ".")
    elif kind == _ENUM:
        assert isinstance(value, int)
        if value not in rule.enum_numbers:
            raise InvalidRequest(
                _path(prefix, name, index), f"unknown {rule.enum_name} value {value}"
            )


def _path(prefix: str, name: str, index: int | None) -> str:
    return prefix + name if index is None else f"{prefix}{name}[{index}]"


def _check_timestamp(timestamp: Timestamp, path: str) -> None:
    if not EARLIEST_SECONDS <= timestamp.seconds < LATEST_SECONDS:
        raise InvalidRequest(path, "must be in the years 2000 to 2100")
    if not 0 <= timestamp.nanos < 1_000_000_000:
        raise InvalidRequest(path, "has out-of-range nanos")
