"""Find the request fields that no rule of the policy reads.

Method: every field of CheckRequest, from the proto descriptor, is left out in
turn from every scenario request that gives it, and the policy decides the
changed request. A field is read when leaving it out changes the decision
(allow, a code, or a message) of at least one scenario. A field no scenario
gives cannot be judged this way and is listed apart.

This measures what the policy does, not what its source mentions: a field the
rules only pass along, or read in a way no scenario reaches, counts as not read.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from google.protobuf.descriptor import Descriptor

from devtools.scenario_eval import ScenarioResult, decide_requests
from sidecar._generated.vir.authz.v1 import authz_service_pb2

LEAF_MESSAGES = {"google.protobuf.Timestamp"}


@dataclass(frozen=True)
class FieldReport:
    """The request fields by whether leaving them out changes a decision."""

    read: tuple[str, ...]
    not_read: tuple[str, ...]
    never_given: tuple[str, ...]


def field_paths(descriptor: Descriptor, prefix: str = "") -> Iterator[str]:
    """Dotted proto field names of every field, messages first then their fields."""
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        yield path
        message = field.message_type
        if message is not None and message.full_name not in LEAF_MESSAGES:
            yield from field_paths(message, f"{path}.")


def request_fields() -> list[str]:
    return list(field_paths(cast(Descriptor, authz_service_pb2.CheckRequest.DESCRIPTOR)))


def has_path(request: dict[str, Any], path: str) -> bool:
    node: Any = request
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def without(request: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of request with the field at path left out."""
    changed = copy.deepcopy(request)
    *parents, last = path.split(".")
    node = changed
    for key in parents:
        node = node[key]
    del node[last]
    return changed


def field_report(opa: str, policy_dir: Path, results: Sequence[ScenarioResult]) -> FieldReport:
    cases: list[tuple[str, int]] = []
    requests: list[dict[str, Any]] = []
    fields = request_fields()
    for path in fields:
        for index, result in enumerate(results):
            if has_path(result.request, path):
                cases.append((path, index))
                requests.append(without(result.request, path))
    decisions = decide_requests(opa, policy_dir, requests)
    given = {path for path, _ in cases}
    read = {
        path
        for (path, index), decision in zip(cases, decisions, strict=True)
        if decision != results[index].decision
    }
    return FieldReport(
        read=tuple(f for f in fields if f in read),
        not_read=tuple(f for f in fields if f in given and f not in read),
        never_given=tuple(f for f in fields if f not in given),
    )


def unread_fields_section(report: FieldReport) -> str:
    lines = [
        "## Request fields no rule reads\n",
        "Each field of `CheckRequest` (from the API's proto) was left out, in turn, of every",
        "scenario request that gives it, and the policy decided again. A field is *read* when",
        "leaving it out changes at least one decision: the outcome, a reason, or a message.",
        "The fields below never changed a decision: the sidecar audits them, but no rule",
        "depends on them. The scenarios run with the shipped settings, without clearance-signing",
        "keys or a caller allow-list; a force that configures those makes more fields matter",
        "(with signing keys, `clearance.token` is checked).\n",
    ]
    lines.extend(f"- `{f}`" for f in report.not_read)
    if not report.not_read:
        lines.append("- none")
    if report.never_given:
        lines.append("\nNo scenario gives these fields, so this method cannot judge them:\n")
        lines.extend(f"- `{f}`" for f in report.never_given)
    given = len(report.read) + len(report.not_read)
    lines.append(f"\n{len(report.read)} of {given} given fields are read.\n")
    return "\n".join(lines)
