"""The leak check's reading of RSS against the checks written, and the request mix."""

import base64
import json
from datetime import UTC, datetime

import yaml
from google.protobuf import json_format

from bench.request_mix import ghz_data, scenario_requests, vegeta_targets
from bench.run import loads, rss_growth
from bench.system_under_test import ROOT
from sidecar.api import pb
from sidecar.opa_input import build_input


def test_rss_growth_compares_the_samples_nearest_the_two_checks() -> None:
    samples = [(float(n), 80 + n / 50_000) for n in range(0, 100_001, 5_000)]
    samples.insert(11, (51_000.0, 81.0))

    growth = rss_growth(samples, 50_000, 100_000)

    assert growth == {
        "from_checks": 50_000,
        "to_checks": 100_000,
        "rss_mib_from": 81.0,
        "rss_mib_to": 82.0,
        "growth_mib": 1.0,
    }


def test_rss_growth_is_not_measured_short_of_the_last_check() -> None:
    assert rss_growth([(50_000.0, 80.0), (97_000.0, 81.0)], 50_000, 100_000) is None
    assert rss_growth([], 50_000, 100_000) is None


def test_the_loads_are_the_issues() -> None:
    assert [(load.rate, load.concurrency, load.seconds) for load in loads(10)] == [
        (200, None, 10),
        (500, None, 10),
        (None, 32, 10),
    ]


def test_the_mix_is_every_scenario_request_in_both_forms() -> None:
    tables = sorted((ROOT / "policies" / "scenarios").glob("*/data.yaml"))
    expected = [s["request"] for t in tables for s in yaml.safe_load(t.read_text())]
    requests = scenario_requests(ROOT / "policies")
    now = datetime(2026, 12, 2, tzinfo=UTC)

    grpc_bodies = [
        json_format.ParseDict(r, pb.CheckRequest()) for r in json.loads(ghz_data(requests))
    ]
    targets = [
        json.loads(line) for line in vegeta_targets("http://o/v1", requests, now=now).splitlines()
    ]

    assert len(requests) == len(expected) > 50
    assert grpc_bodies == [json_format.ParseDict(r, pb.CheckRequest()) for r in expected]
    assert {(t["method"], t["url"]) for t in targets} == {("POST", "http://o/v1")}
    assert [json.loads(base64.b64decode(t["body"])) for t in targets] == [
        {"input": json.loads(json.dumps(build_input(r, now=now, caller=None)))} for r in requests
    ]
