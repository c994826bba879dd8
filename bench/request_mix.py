"""The benchmark's request mix: every scenario request, as each load generator reads it.

ghz gets a JSON array of CheckRequests and sends them round robin; vegeta gets one JSON
target per line, the same requests as the OPA input the sidecar would build from them, and
also sends them round robin. So the three targets see the same requests in the same order.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from google.protobuf import json_format

from devtools.dated_requests import SCENARIO_TIME, elapsed_since, moved
from sidecar.api import pb
from sidecar.opa.command import find_binary
from sidecar.opa_input import build_input
from sidecar.scenario_lookup import load_scenarios


def scenario_requests(policies: Path, shift: timedelta | None = None) -> list[pb.CheckRequest]:
    """The request of every scenario in policies/scenarios/*/data.yaml, in file order.

    Their timestamps move from the date the tables are written for to now, so that each
    request keeps the decision its table expects (clearances have a bounded lifetime).
    """
    if shift is None:
        shift = elapsed_since(SCENARIO_TIME)
    scenarios = load_scenarios(policies, find_binary(None, cwd=policies.parent))
    return [json_format.ParseDict(moved(s.request, shift), pb.CheckRequest()) for s in scenarios]


def ghz_data(requests: Sequence[pb.CheckRequest]) -> str:
    """A JSON array of the requests in protobuf's JSON form, for ghz --data-file."""
    return json.dumps([json_format.MessageToDict(request) for request in requests])


def vegeta_targets(url: str, requests: Sequence[pb.CheckRequest], *, now: datetime) -> str:
    """One vegeta JSON target per line: a POST of the sidecar's OPA input for each request."""
    lines = []
    for request in requests:
        body = orjson.dumps({"input": build_input(request, now=now, caller=None)})
        target: dict[str, Any] = {
            "method": "POST",
            "url": url,
            "body": base64.b64encode(body).decode("ascii"),
            "header": {"Content-Type": ["application/json"]},
        }
        lines.append(json.dumps(target))
    return "\n".join(lines) + "\n"
