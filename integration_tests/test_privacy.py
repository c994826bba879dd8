"""Victim identifiers and free-text justifications never reach logs or audit records."""

from __future__ import annotations

import grpc
import pytest

from integration_tests.processes import Sidecar, example_request
from sidecar.api import pb

VICTIM = "VICTIM-ID-5519-SECRET"
FREE_TEXT_MARKER = "JUSTIFICATION-TEXT-SECRET"
FREE_TEXT_FIELDS = (
    "relevance",
    "necessity",
    "proportionality",
    "other_means",
    "probative_value",
    "presumption_rebuttal",
    "handling",
)


def marked_request(name: str = "counselling-allowed") -> pb.CheckRequest:
    request = example_request(name)
    request.record.victim_id = VICTIM
    request.clearance.victim_id = VICTIM
    for field in FREE_TEXT_FIELDS:
        setattr(request.justification, field, f"{FREE_TEXT_MARKER} {field} of the request")
    request.record.information_sought = f"{FREE_TEXT_MARKER} information sought"
    request.investigation.line_of_enquiry = f"{FREE_TEXT_MARKER} line of enquiry"
    return request


def test_no_victim_id_or_free_text_in_logs_or_audit(sidecar: Sidecar) -> None:
    assert sidecar.check(marked_request()).allow is True
    assert sidecar.check(marked_request("counselling-denied")).allow is False
    invalid = marked_request()
    invalid.record.victim_id = VICTIM + "x" * 200
    with pytest.raises(grpc.RpcError):
        sidecar.check(invalid)
    sidecar.stop()

    log_text = sidecar.log_path.read_text(encoding="utf-8")
    assert "check" in [line.get("event") for line in sidecar.log_lines()]
    audit_text = "".join(
        p.read_text(encoding="utf-8") for p in sidecar.audit_dir.glob("audit-*.jsonl")
    )
    assert audit_text.count("\n") == 3
    for text in (log_text, audit_text):
        assert VICTIM not in text
        assert FREE_TEXT_MARKER not in text
