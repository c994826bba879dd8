from __future__ import annotations

import unicodedata

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.api import pb
from sidecar.validation import (
    ID_MAX_CHARS,
    IDENTIFIER_FIELDS,
    REPEATED_MAX_ITEMS,
    TEXT_MAX_CHARS,
    InvalidRequest,
    validate,
)


def field_of(error: pytest.ExceptionInfo[InvalidRequest]) -> str:
    return error.value.field


def test_a_complete_request_is_valid(allowed_request: pb.CheckRequest) -> None:
    validate(allowed_request)


def test_a_request_with_only_identifiers_and_category_is_valid_for_the_policy() -> None:
    request = pb.CheckRequest(request_id="r1")
    request.requester.id = "PC-1"
    request.record.victim_id = "V-1"
    request.record.category = pb.RECORD_CATEGORY_MEDICAL
    validate(request)


@pytest.mark.parametrize("blank", ["", "   "])
@pytest.mark.parametrize(
    ("message", "field"),
    [("", "request_id"), ("requester", "id"), ("record", "victim_id")],
)
def test_missing_identifier_is_rejected(
    allowed_request: pb.CheckRequest, blank: str, message: str, field: str
) -> None:
    holder = getattr(allowed_request, message) if message else allowed_request
    setattr(holder, field, blank)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == ".".join(filter(None, [message, field]))


def test_unspecified_category_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.category = pb.RECORD_CATEGORY_UNSPECIFIED
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.category"
    assert "required" in str(error.value)


def test_unknown_category_number_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.category = 99  # type: ignore[assignment]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.category"
    assert "99" in str(error.value)


def test_unknown_enum_inside_a_repeated_field_names_its_index(
    allowed_request: pb.CheckRequest,
) -> None:
    allowed_request.clearance.categories.append(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.categories[1]"


def test_unknown_notice_status_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.victim_notice.status = 7  # type: ignore[assignment]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "victim_notice.status"


def test_identifier_longer_than_limit_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.victim_id = "v" * (ID_MAX_CHARS + 1)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.victim_id"


def test_identifier_at_limit_is_accepted(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.victim_id = "v" * ID_MAX_CHARS
    validate(allowed_request)


def test_text_field_may_exceed_identifier_limit_but_not_text_limit(
    allowed_request: pb.CheckRequest,
) -> None:
    allowed_request.justification.necessity = "n" * TEXT_MAX_CHARS
    validate(allowed_request)
    allowed_request.justification.necessity += "n"
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "justification.necessity"


def test_too_many_repeated_items_are_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.clearance.categories.extend([pb.RECORD_CATEGORY_OTHER] * REPEATED_MAX_ITEMS)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.categories"


@pytest.mark.parametrize(
    "text",
    ["1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z"],
)
def test_timestamp_outside_2000_to_2100_is_rejected(
    allowed_request: pb.CheckRequest, text: str
) -> None:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    allowed_request.clearance.expires_at.CopyFrom(stamp)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.expires_at"


@pytest.mark.parametrize("text", ["2000-01-01T00:00:00Z", "2100-12-31T23:59:59Z"])
def test_timestamp_at_the_edges_of_the_range_is_accepted(
    allowed_request: pb.CheckRequest, text: str
) -> None:
    allowed_request.record.period_end.FromJsonString(text)
    validate(allowed_request)


def test_error_text_names_field_and_problem() -> None:
    assert str(InvalidRequest("record.category", "is required")) == "record.category: is required"


# --- identifiers are what they look like ---------------------------------------------

# One bad character of each class, put inside an otherwise good identifier.
HIDDEN_CHARACTERS = {
    "nul": "\x00",
    "tab": "\t",
    "newline": "\n",
    "delete": "\x7f",
    "c1_control": "\x85",
    "zero_width_space": "\u200b",
    "zero_width_joiner": "\u200d",
    "nbsp": "\u00a0",
    "left_to_right_mark": "\u200e",
    "right_to_left_mark": "\u200f",
    "left_to_right_embedding": "\u202a",
    "right_to_left_override": "\u202e",
    "left_to_right_isolate": "\u2066",
    "pop_directional_isolate": "\u2069",
    "byte_order_mark": "\ufeff",
    "soft_hyphen": "\u00ad",
    "line_separator": "\u2028",
    "paragraph_separator": "\u2029",
    "em_space": "\u2003",
    "ideographic_space": "\u3000",
    "private_use": "\ue000",
}


def set_path(request: pb.CheckRequest, path: str, value: str) -> None:
    *parents, name = path.split(".")
    holder: object = request
    for parent in parents:
        holder = getattr(holder, parent)
    setattr(holder, name, value)


def test_identifier_fields_are_the_ones_the_policy_compares_or_the_trail_keeps() -> None:
    assert set(IDENTIFIER_FIELDS) >= {
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
    }


@pytest.mark.parametrize("path", IDENTIFIER_FIELDS)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("character", HIDDEN_CHARACTERS.values(), ids=HIDDEN_CHARACTERS.keys())
def test_identifier_with_a_hidden_character_is_rejected_naming_the_field(
    allowed_request: pb.CheckRequest, path: str, where: str, character: str
) -> None:
    good = "V-7f3a9c"
    value = {
        "start": character + good,
        "middle": good[:2] + character + good[2:],
        "end": good + character,
    }[where]
    set_path(allowed_request, path, value)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == path


@pytest.mark.parametrize("path", IDENTIFIER_FIELDS)
@pytest.mark.parametrize("value", ["V-7f3a9c ", " V-7f3a9c", "\tV-7f3a9c", "V-7f3a9c\u00a0"])
def test_identifier_with_surrounding_whitespace_is_rejected(
    allowed_request: pb.CheckRequest, path: str, value: str
) -> None:
    set_path(allowed_request, path, value)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == path
    assert "whitespace" in str(error.value) or "invisible" in str(error.value)


@pytest.mark.parametrize("path", IDENTIFIER_FIELDS)
@pytest.mark.parametrize("value", ["-", "--/--", "_", ".", "#", "-\u0301"])
def test_identifier_without_a_letter_or_digit_is_rejected(
    allowed_request: pb.CheckRequest, path: str, value: str
) -> None:
    set_path(allowed_request, path, value)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == path
    assert "no letter or digit" in str(error.value)


@pytest.mark.parametrize("path", IDENTIFIER_FIELDS)
@pytest.mark.parametrize("value", ["V-7f3a9c", "43/12345/26", "CI 1107", "Ø-1", "7", "Zoë-Ünal"])
def test_plain_identifier_is_accepted(
    allowed_request: pb.CheckRequest, path: str, value: str
) -> None:
    set_path(allowed_request, path, value)
    validate(allowed_request)


OPTIONAL_IDENTIFIERS = [
    path
    for path in IDENTIFIER_FIELDS
    if path not in {"request_id", "requester.id", "record.victim_id"}
]


@pytest.mark.parametrize("path", OPTIONAL_IDENTIFIERS)
def test_empty_optional_identifier_stays_for_the_policy_to_judge(
    allowed_request: pb.CheckRequest, path: str
) -> None:
    set_path(allowed_request, path, "")
    validate(allowed_request)


def _reference_identifier_problem(value: str) -> str | None:
    """The identifier rule spelt out character by character, as the fast path must agree."""
    if not value:
        return None
    if value[0].isspace() or value[-1].isspace():
        return "has leading or trailing whitespace"
    for character in value:
        if character != " " and unicodedata.category(character) in {
            "Cc",
            "Cf",
            "Co",
            "Cs",
            "Zl",
            "Zp",
            "Zs",
        }:
            return f"contains an invisible or control character (U+{ord(character):04X})"
    if not any(character.isalnum() for character in value):
        return "has no letter or digit"
    return None


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_identifier_check_agrees_with_the_rule_character_by_character(value: str) -> None:
    request = pb.CheckRequest(request_id="r1", requester=pb.Requester(id="p1"))
    request.record.victim_id = "v1"
    request.record.category = pb.RECORD_CATEGORY_COUNSELLING
    request.clearance.id = value[:ID_MAX_CHARS]
    expected = _reference_identifier_problem(value[:ID_MAX_CHARS])
    if expected is None:
        validate(request)
    else:
        with pytest.raises(InvalidRequest) as raised:
            validate(request)
        assert raised.value == InvalidRequest("clearance.id", expected)
