"""Keys, sample records and file helpers shared by the audit trail tests."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb
from sidecar.audit import AuditTrail

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

VICTIM_ID = "V-victim-7f3a9c"
FREE_TEXT = {
    "information_sought": "Notes of the first session marker-information-sought",
    "offence": "Offence marker-offence",
    "line_of_enquiry": "Earliest account marker-line-of-enquiry",
    "relevance": "Relevant marker-relevance",
    "necessity": "Necessary marker-necessity",
    "proportionality": "Proportionate marker-proportionality",
    "other_means": "Considered marker-other-means",
    "probative_value": "Probative marker-probative-value",
    "presumption_rebuttal": "Rebutted marker-presumption-rebuttal",
    "handling": "Disclosure officer only marker-handling",
}


def sample_request() -> Any:
    """A complete counselling request whose victim id and free text are easy to search for."""
    return pb.CheckRequest(
        request_id="REQ-1",
        requester=pb.Requester(id="PC-4821", body="police", force="TVP", rank="dc"),
        record=pb.Record(
            id="CR-1",
            category=pb.RECORD_CATEGORY_COUNSELLING,
            holder="Holder marker-holder",
            victim_id=VICTIM_ID,
            information_sought=FREE_TEXT["information_sought"],
        ),
        investigation=pb.Investigation(
            crime_reference="43/12345/26",
            offence=FREE_TEXT["offence"],
            line_of_enquiry=FREE_TEXT["line_of_enquiry"],
        ),
        justification=pb.Justification(
            relevance=FREE_TEXT["relevance"],
            necessity=FREE_TEXT["necessity"],
            proportionality=FREE_TEXT["proportionality"],
            other_means=FREE_TEXT["other_means"],
            probative_value=FREE_TEXT["probative_value"],
            presumption_rebuttal=FREE_TEXT["presumption_rebuttal"],
            handling=FREE_TEXT["handling"],
        ),
        clearance=pb.Clearance(id="CLR-1", authoriser_id="CI-1107", victim_id=VICTIM_ID),
    )


def fields(number: int) -> dict[str, object]:
    """A small record for chain tests."""
    return {"decision_id": f"d-{number}", "outcome": "allow", "codes": []}


async def write_trail(
    directory: Path, count: int, *, key: bytes = KEY, max_file_bytes: int = 64 * 2**20
) -> list[Path]:
    """Append `count` records and close; returns the audit files, oldest first."""
    async with await AuditTrail.open(
        directory, key, fsync=False, max_file_bytes=max_file_bytes
    ) as trail:
        for number in range(count):
            await trail.append(fields(number))
    return audit_files(directory)


def audit_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("audit-*.jsonl"))


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def all_bytes(directory: Path) -> bytes:
    """Every byte of every file in `directory`, quarantine and lock files included."""
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


class RecordingLogger:
    """Collects structlog-style calls so tests can check what was (not) logged."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str) -> Callable[..., None]:
        def log(event: str, **fields: Any) -> None:
            self.events.append((level, event, fields))

        return log

    def __getattr__(self, level: str) -> Callable[..., None]:
        return self._record(level)
