"""The long run to the 100,000th check, the leak check's reading of RSS, and the request mix."""

import base64
import json
from datetime import UTC, datetime, timedelta

from google.protobuf import json_format

from bench.load import GeneratorRun, Load, Sample
from bench.request_mix import ghz_data, scenario_requests, vegeta_targets
from bench.run import loads, rss_growth, run_to_check
from bench.system_under_test import ROOT
from devtools.dated_requests import moved
from sidecar.api import pb
from sidecar.opa.command import find_binary
from sidecar.opa_input import build_input
from sidecar.scenario_lookup import load_scenarios


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
    scenarios = load_scenarios(ROOT / "policies", find_binary(None, cwd=ROOT))
    shift = timedelta(days=200)
    expected = [moved(s.request, shift) for s in scenarios]
    requests = scenario_requests(ROOT / "policies", shift)
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


class CountingSidecar:
    """Stands in for a target: its audit record count grows with each chunk sent."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.chunks: list[int] = []

    def metric(self, name: str) -> float:
        assert name == "vir_audit_records_total"
        return float(self.records)

    def generate(self, load: Load) -> GeneratorRun:
        assert load.count is not None
        assert load.concurrency == 32
        self.chunks.append(load.count)
        self.records += load.count
        return GeneratorRun([Sample(0.0, 0.001, True)] * load.count, 0.5, 2.0, ["ghz"])


def test_the_long_run_goes_in_chunks_to_the_last_check() -> None:
    sidecar = CountingSidecar(records=7_500)

    run = run_to_check(
        sidecar,  # type: ignore[arg-type]
        sidecar.generate,
        Load("closed_32", concurrency=32, seconds=10),
        last_check=30_000,
        max_seconds=60,
    )

    assert sidecar.chunks == [10_000, 10_000, 2_500]
    assert sidecar.records == 30_000
    assert len(run.samples) == 22_500
    assert (run.cpu_seconds, run.wall_seconds) == (1.5, 6.0)


def test_the_long_run_stops_when_its_time_is_up() -> None:
    sidecar = CountingSidecar(records=0)

    run_to_check(
        sidecar,  # type: ignore[arg-type]
        sidecar.generate,
        Load("closed_32", concurrency=32, seconds=10),
        last_check=100_000,
        max_seconds=0,
    )

    assert sidecar.chunks == [10_000]
