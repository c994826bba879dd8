"""Building real sealed trails of report-worthy records for the report tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb
from sidecar.audit import AuditTrail, Pseudonymiser, build_record

KEY = bytes(range(32))
VICTIM_ID = "V-victim-7f3a9c"
FREE_TEXT = ("Notes marker-information-sought", "marker-line-of-enquiry", "marker-probative")
PSEUDONYMISER = Pseudonymiser(KEY)
COUNSELLING_FACTS = {
    "requester_org": "thames_valley",
    "authoriser_rank": "chief_inspector",
    "notice_status": "given",
    "withholding_ground": None,
    "counselling": True,
}
WITHHELD_FACTS = {
    **COUNSELLING_FACTS,
    "notice_status": "withheld",
    "withholding_ground": "risk_of_serious_harm",
}
SECRETS = (
    VICTIM_ID,
    PSEUDONYMISER.pseudonymise(VICTIM_ID),
    "REQ-1",
    "PC-4821",
    "CLR-1",
    "CI-1107",
    *FREE_TEXT,
)


def sample_request() -> pb.CheckRequest:
    """A counselling request whose identifiers and free text are easy to search for."""
    return pb.CheckRequest(
        request_id="REQ-1",
        requester=pb.Requester(id="PC-4821", body="police", force="TVP", rank="dc"),
        record=pb.Record(
            id="CR-1",
            category=pb.RECORD_CATEGORY_COUNSELLING,
            victim_id=VICTIM_ID,
            information_sought=FREE_TEXT[0],
        ),
        investigation=pb.Investigation(crime_reference="43/12345/26", line_of_enquiry=FREE_TEXT[1]),
        justification=pb.Justification(probative_value=FREE_TEXT[2]),
        clearance=pb.Clearance(id="CLR-1", authoriser_id="CI-1107", victim_id=VICTIM_ID),
    )


def record(
    when: str,
    outcome: str = "allow",
    *,
    codes: Iterable[str] = (),
    facts: Mapping[str, object] | None = COUNSELLING_FACTS,
    error: str | None = None,
    caller: str = "records-system-1",
    revision: str = "rules@sha256:rev-a+settings@sha256:set-a",
    old_format: bool = False,
) -> dict[str, object]:
    """A record as the sidecar writes it; `old_format` drops what format 2 added."""
    request = sample_request()
    fields = build_record(
        decision_id=f"d-{when}",
        request=request,
        outcome=outcome,
        codes=list(codes),
        caller=caller,
        policy_revision=revision,
        time=datetime.fromisoformat(when),
        pseudonymiser=PSEUDONYMISER,
        error=error,
        facts=facts,
    )
    if old_format:
        for name in ("format", *COUNSELLING_FACTS):
            del fields[name]
    return fields


async def write_records(directory: Path, records: Iterable[Mapping[str, object]]) -> Path:
    async with await AuditTrail.open(directory, KEY, fsync=False) as trail:
        for fields in records:
            await trail.append(dict(fields))
    return directory
