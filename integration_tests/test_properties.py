"""Property-based tests over the whole Check path: the real sidecar and OPA, over gRPC.

Example counts add up to over 2,000 per run; `make fuzz` multiplies them by
VIR_PROPERTY_SCALE.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration_tests.processes import Sidecar, example_request
from integration_tests.test_scenarios import SCENARIOS, scenario_request
from sidecar.api import pb

SCALE = int(os.environ.get("VIR_PROPERTY_SCALE", "1"))
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": os.environ.get("VIR_PROPERTY_RANDOM") != "1",
    "suppress_health_check": [HealthCheck.too_slow],
}

# Ranks that may clear a counselling request in a territorial force such as
# the example's Thames Valley Police, written out here independently of the
# policy's data so the test is an oracle for it.
SENIOR_RANKS = frozenset(
    {
        "chief_inspector",
        "superintendent",
        "chief_superintendent",
        "assistant_chief_constable",
        "deputy_chief_constable",
        "chief_constable",
    }
)
# Written forms of senior ranks, and ranks that are senior only in London.
SENIOR_WRITTEN = frozenset({"DCI", "Det. Chief Inspector", "Ch Supt", "T/DCI"})
LONDON_RANKS = (
    "commander", "deputy_assistant_commissioner", "assistant_commissioner", "commissioner",
)  # fmt: skip
JUNIOR_RANKS = (
    "constable", "sergeant", "inspector", "detective_inspector", "police_staff", "DC", "A/DCI",
)  # fmt: skip
RANK_CHOICES = (
    *sorted(SENIOR_RANKS),
    *sorted(SENIOR_WRITTEN),
    *(f"detective_{rank}" for rank in ("chief_inspector", "superintendent")),
    "Detective Chief Inspector",
    "chief-inspector",
    *LONDON_RANKS,
    *JUNIOR_RANKS,
    "",
    "chief_inspector_acting",
    "CHIEF_INSPECTOR ",
    "inspector_chief",
)
MAXIMUM_CLEARANCE = timedelta(days=90)
# Words in a holder's name that make it a counselling provider.
COUNSELLING_HOLDER_WORDS = ("counselling", "rape crisis", "therapy", "therapies")
ANSWERED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    process = Sidecar(Path(tmp_path_factory.mktemp("properties"))).start()
    yield process
    process.stop()


def outcome(sidecar: Sidecar, request: pb.CheckRequest) -> tuple[grpc.StatusCode, bool]:
    """The status and allow flag of one Check; allow is False for every refusal."""
    try:
        return grpc.StatusCode.OK, sidecar.check(request, timeout=10).allow
    except grpc.RpcError as error:
        return error.code(), False


# --- random and mutated requests never crash the server ------------------------------

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", " ", "x" * 129, "y" * 10_001, "\0", "police", "RECORD_CATEGORY_COUNSELLING"]
)
enum_numbers = st.integers(min_value=-3, max_value=12)
timestamps = st.one_of(
    st.none(),
    st.integers(min_value=-62_135_596_800, max_value=253_402_300_799),
    st.integers(min_value=946_684_800, max_value=4_133_980_799),
)


def set_field(message: Any, field: Any, draw: Any) -> None:
    if field.message_type is not None and field.message_type.name == "Timestamp":
        seconds = draw(timestamps)
        if seconds is not None:
            getattr(message, field.name).CopyFrom(Timestamp(seconds=seconds))
    elif field.message_type is not None:
        child = getattr(message, field.name)
        if draw(st.booleans()):
            child.SetInParent()
            for inner in child.DESCRIPTOR.fields:
                if draw(st.booleans()):
                    set_field(child, inner, draw)
    elif field.is_repeated:
        getattr(message, field.name).extend(draw(st.lists(enum_numbers, max_size=20)))
    elif field.type == field.TYPE_ENUM:
        setattr(message, field.name, draw(enum_numbers))
    elif field.type == field.TYPE_BOOL:
        setattr(message, field.name, draw(st.booleans()))
    else:
        setattr(message, field.name, draw(texts))


@st.composite
def random_requests(draw: Any) -> pb.CheckRequest:
    if draw(st.booleans()):
        request = pb.CheckRequest()
        for field in request.DESCRIPTOR.fields:
            set_field(request, field, draw)
        return request
    request = example_request()  # mutate a few fields of a valid request
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        message = draw(
            st.sampled_from(
                [request, request.requester, request.record, request.investigation,
                 request.justification, request.clearance, request.victim_notice]
            )
        )  # fmt: skip
        field = draw(st.sampled_from(list(message.DESCRIPTOR.fields)))
        message.ClearField(field.name)
        set_field(message, field, draw)
    return request


@settings(max_examples=1000 * SCALE, **SETTINGS)
@given(request=random_requests())
def test_random_and_mutated_requests_never_crash_the_server(
    live: Sidecar, request: pb.CheckRequest
) -> None:
    status, _ = outcome(live, request)
    assert status in ANSWERED | {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert live.serving()


# --- a counselling allow needs a valid chief-inspector-or-above clearance -------------


def normalised_rank(rank: str) -> str:
    code = rank.strip().lower().replace(" ", "_").replace("-", "_")
    return code.removeprefix("detective_")


def stamp(days: int | None) -> Timestamp | None:
    if days is None:
        return None
    moment = datetime.now(UTC) + timedelta(days=days)
    return Timestamp(seconds=int(moment.timestamp()))


day_offsets = st.none() | st.integers(min_value=-400, max_value=400).filter(lambda d: d != 0)


@st.composite
def clearance_variations(draw: Any) -> pb.CheckRequest:
    request = example_request()
    request.record.category = draw(st.sampled_from([1, 2, 3, 4, 5]))
    request.record.holder_provides_counselling = draw(st.booleans())
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        request.ClearField("clearance")
        return request
    clearance = request.clearance
    clearance.id = draw(st.sampled_from(["CLR-2026-0441", "", " "]))
    clearance.authoriser_rank = draw(st.sampled_from(RANK_CHOICES))
    requester_id = request.requester.id
    clearance.authoriser_id = draw(
        st.sampled_from(["CI-1107", requester_id, requester_id.replace("-", " "), ""])
    )
    clearance.crime_reference = draw(
        st.sampled_from([request.investigation.crime_reference, "43/99999/26", ""])
    )
    clearance.victim_id = draw(st.sampled_from([request.record.victim_id, "V-other", ""]))
    del clearance.categories[:]
    clearance.categories.extend(draw(st.lists(st.sampled_from([1, 2, 3, 4, 5]), max_size=3)))
    for name in ("granted_at", "expires_at"):
        clearance.ClearField(name)
        value = stamp(draw(day_offsets))
        if value is not None:
            getattr(clearance, name).CopyFrom(value)
    return request


def same_person(a: str, b: str) -> bool:
    return re.sub("[^a-z0-9]", "", a.lower()) == re.sub("[^a-z0-9]", "", b.lower())


def is_counselling(request: pb.CheckRequest) -> bool:
    holder = request.record.holder.lower()
    return (
        request.record.category == pb.RECORD_CATEGORY_COUNSELLING
        or request.record.holder_provides_counselling
        or any(word in holder for word in COUNSELLING_HOLDER_WORDS)
    )


def clearance_is_valid(request: pb.CheckRequest) -> bool:
    clearance = request.clearance
    now = datetime.now(UTC)
    granted = clearance.granted_at.ToDatetime(UTC)
    expires = clearance.expires_at.ToDatetime(UTC)
    return (
        request.HasField("clearance")
        and bool(clearance.id.strip())
        and (
            normalised_rank(clearance.authoriser_rank) in SENIOR_RANKS
            or clearance.authoriser_rank in SENIOR_WRITTEN
        )
        and bool(clearance.authoriser_id)
        and not same_person(clearance.authoriser_id, request.requester.id)
        and clearance.HasField("granted_at")
        and clearance.HasField("expires_at")
        and granted <= now < expires
        and expires - granted <= MAXIMUM_CLEARANCE
        and clearance.crime_reference == request.investigation.crime_reference
        and clearance.victim_id == request.record.victim_id
        and request.record.category in clearance.categories
    )


@settings(max_examples=800 * SCALE, **SETTINGS)
@given(request=clearance_variations())
def test_counselling_is_never_allowed_without_a_valid_senior_clearance(
    live: Sidecar, request: pb.CheckRequest
) -> None:
    status, allowed = outcome(live, request)
    assert status in ANSWERED
    if allowed and is_counselling(request):
        assert clearance_is_valid(request)


# --- blanking a required field of an allowed request never leaves it allowed ----------

ALLOWED = [s for s in SCENARIOS if s.expect["allow"]]
EVERY_CATEGORY = (
    "request_id", "requester.id", "requester.body", "requester.force", "record.category",
    "record.holder", "record.victim_id",
    "record.information_sought", "record.period_start", "record.period_end",
    "investigation.crime_reference", "investigation.line_of_enquiry",
    "justification.relevance", "justification.necessity", "justification.proportionality",
    "justification.handling", "victim_notice", "victim_notice.status",
)  # fmt: skip
WHEN_OVERCOLLECTION_RISK = ("justification.other_means",)
COUNSELLING_ONLY = (
    "justification.probative_value", "justification.presumption_rebuttal", "clearance",
    "clearance.id", "clearance.authoriser_id", "clearance.authoriser_rank",
    "clearance.granted_at", "clearance.expires_at", "clearance.crime_reference",
    "clearance.victim_id", "clearance.categories",
)  # fmt: skip


def required_fields(request: pb.CheckRequest) -> list[str]:
    fields = list(EVERY_CATEGORY)
    if request.justification.overcollection_risk:
        fields += WHEN_OVERCOLLECTION_RISK
    if is_counselling(request):
        fields += COUNSELLING_ONLY
    if request.victim_notice.status == pb.NOTICE_STATUS_GIVEN:
        fields.append("victim_notice.given_at")
        if request.record.victim_under_18_or_lacking_capacity:
            fields.append("victim_notice.recipient")
    if request.victim_notice.status == pb.NOTICE_STATUS_DEFERRED:
        fields.append("victim_notice.deferral_reason")
    if request.victim_notice.status == pb.NOTICE_STATUS_WITHHELD:
        fields.append("victim_notice.withheld_ground")
    return fields


def blank(request: pb.CheckRequest, path: str) -> None:
    *parents, name = path.split(".")
    message: Any = request
    for parent in parents:
        message = getattr(message, parent)
    message.ClearField(name)


@st.composite
def blanked_allowed_requests(draw: Any) -> tuple[str, str, pb.CheckRequest]:
    scenario = draw(st.sampled_from(ALLOWED))
    request = scenario_request(scenario)
    path = draw(st.sampled_from(required_fields(request)))
    blank(request, path)
    return scenario.name, path, request


def test_every_allowed_scenario_is_allowed_before_blanking(live: Sidecar) -> None:
    assert len(ALLOWED) >= 10
    for scenario in ALLOWED:
        request = scenario_request(scenario)
        assert outcome(live, request) == (grpc.StatusCode.OK, True), scenario.name


@settings(max_examples=400 * SCALE, **SETTINGS)
@given(case=blanked_allowed_requests())
def test_blanking_any_required_field_of_an_allowed_request_refuses_it(
    live: Sidecar, case: tuple[str, str, pb.CheckRequest]
) -> None:
    name, path, request = case
    status, allowed = outcome(live, request)
    assert status in ANSWERED
    assert not allowed, f"{name} still allowed without {path}"
