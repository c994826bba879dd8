"""The loads, the ghz and vegeta command lines, and the parsing of their per-request output."""

import base64
import json
import sys
from pathlib import Path

import pytest

from bench.load import (
    GHZ_OPEN_LOOP_DISPATCHERS,
    GrpcService,
    Load,
    ghz_argv,
    parse_ghz,
    parse_vegeta,
    run_child,
    vegeta_argv,
)

SERVICE = GrpcService("127.0.0.1:5000", Path("/src/proto"), "vir/authz/v1/authz_service.proto")


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"rate": 200, "concurrency": 32, "seconds": 1.0},
        {"rate": 200},
        {"concurrency": 32, "seconds": 1.0, "count": 10},
        {"rate": 200, "count": 10},
    ],
)
def test_a_load_is_open_or_closed_and_has_one_length(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="load"):
        Load("bad", **options)  # type: ignore[arg-type]


def test_ghz_open_loop_sends_at_the_rate_without_waiting_for_answers() -> None:
    argv = ghz_argv(SERVICE, "ghz", Path("data.json"), Load("o", rate=500, seconds=10), Path("r"))

    assert argv[0] == "ghz"
    assert argv[-1] == "127.0.0.1:5000"
    assert "--async" in argv
    assert _after(argv, "--rps") == "500"
    assert _after(argv, "--concurrency") == str(GHZ_OPEN_LOOP_DISPATCHERS)
    assert _after(argv, "--duration") == "10000ms"
    assert _after(argv, "--duration-stop") == "wait"
    assert _after(argv, "--proto") == "/src/proto/vir/authz/v1/authz_service.proto"
    assert _after(argv, "--import-paths") == "/src/proto"
    assert _after(argv, "--call") == "vir.authz.v1.AuthorizationService.Check"
    assert _after(argv, "--data-file") == "data.json"
    assert _after(argv, "--format") == "json"
    assert {"--disable-template-functions", "--disable-template-data"} <= set(argv)


def test_ghz_closed_loop_keeps_n_in_flight_for_a_count() -> None:
    argv = ghz_argv(SERVICE, "ghz", Path("d"), Load("c", concurrency=32, count=50_000), Path("r"))

    assert "--async" not in argv
    assert "--rps" not in argv
    assert "--duration" not in argv
    assert _after(argv, "--concurrency") == "32"
    assert _after(argv, "--total") == "50000"


def test_vegeta_open_loop_has_a_rate_and_closed_loop_a_fixed_pool() -> None:
    opened = vegeta_argv("vegeta", Path("t.jsonl"), Load("o", rate=200, seconds=2.5), Path("r"))
    closed = vegeta_argv("vegeta", Path("t.jsonl"), Load("c", concurrency=32, seconds=3), Path("r"))

    assert opened[:2] == ["vegeta", "attack"]
    assert {"-format=json", "-targets=t.jsonl", "-duration=2500ms", "-rate=200/1s"} <= set(opened)
    assert not any(item.startswith("-workers") for item in opened)
    assert {"-rate=0", "-workers=32", "-max-workers=32"} <= set(closed)


def test_vegeta_cannot_run_for_a_count() -> None:
    with pytest.raises(ValueError, match="duration"):
        vegeta_argv("vegeta", Path("t"), Load("c", concurrency=32, count=10), Path("r"))


def test_ghz_details_become_samples_stamped_at_send_in_send_order() -> None:
    report = {
        "count": 3,
        "details": [
            # ghz stamps each call when it ends.
            {"timestamp": "2026-12-02T13:04:17.500000000Z", "latency": 300_000_000,
             "error": "", "status": "OK"},
            {"timestamp": "2026-12-02T13:04:17.100000500Z", "latency": 500,
             "error": "", "status": "OK"},
            {"timestamp": "2026-12-02T13:04:17.400000000Z", "latency": 2_000_000,
             "error": "deadline exceeded", "status": "DeadlineExceeded"},
        ],
    }  # fmt: skip

    samples = parse_ghz(report)

    base = 1796216657.0
    assert [round(s.sent - base, 6) for s in samples] == [0.1, 0.2, 0.398]
    assert [s.latency for s in samples] == [5e-7, 0.3, 0.002]
    assert [s.ok for s in samples] == [True, True, False]


def test_a_ghz_report_without_details_has_no_samples() -> None:
    assert parse_ghz({"count": 0, "details": None}) == []


def _vegeta_line(seq: int, code: int, body: bytes, error: str = "") -> str:
    return json.dumps({
        "attack": "", "seq": seq, "code": code, "latency": 1_500_000, "error": error,
        "timestamp": f"2026-12-02T13:04:17.{seq:06d}000Z",
        "body": base64.b64encode(body).decode(), "bytes_in": len(body), "bytes_out": 10,
    })  # fmt: skip


def test_vegeta_results_are_good_only_with_a_defined_decision() -> None:
    lines = [
        _vegeta_line(4, 200, b'{"result":{"allo'),
        _vegeta_line(1, 200, b"{}"),  # undefined decision
        _vegeta_line(2, 500, b'{"code":"internal_error"'),
        _vegeta_line(3, 0, b"", "connection refused"),
        "",
    ]

    samples = parse_vegeta(lines)

    assert [s.ok for s in samples] == [False, False, False, True]
    assert all(s.latency == pytest.approx(0.0015) for s in samples)
    assert samples[0].sent == pytest.approx(1796216657.000001)


def test_run_child_reports_the_childs_own_cpu_time(tmp_path: Path) -> None:
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"

    cpu, wall = run_child([sys.executable, "-c", burn], cwd=tmp_path)

    assert 0.3 <= cpu <= wall + 0.05


def test_run_child_raises_with_the_childs_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="exited with 3: no such target"):
        run_child(
            [
                sys.executable,
                "-c",
                "import sys; sys.exit(sys.stderr.write('no such target') and 3)",
            ],
            cwd=tmp_path,
        )
