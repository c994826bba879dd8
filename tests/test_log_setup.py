"""Log lines as a log shipper reads them: one JSON object per line on stdout."""

import json
import subprocess
import sys

import pytest

PROGRAM = """
import datetime, sys, structlog
from sidecar import log_setup
log_setup.configure(sys.argv[1], sys.argv[2])
log = structlog.get_logger("vir.test")
log.debug("hidden_below_the_level")
log.info("check_decided", outcome="allow", codes=["A", "B"], opa_ms=1.25,
         when=datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC), caller="récords",
         unusual=object.__new__(type("Opaque", (), {"__repr__": lambda self: "<opaque>"})))
log.warning("after_the_first")
"""


def _run(log_format: str, level: str = "info") -> str:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, log_format, level],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_json_lines_carry_every_field_with_level_and_utc_timestamp() -> None:
    lines = [json.loads(line) for line in _run("json").splitlines()]

    assert [line["event"] for line in lines] == ["check_decided", "after_the_first"]
    first = lines[0]
    assert first["level"] == "info"
    assert first["timestamp"].endswith("Z")
    assert first["outcome"] == "allow"
    assert first["codes"] == ["A", "B"]
    assert first["opa_ms"] == 1.25
    assert first["when"] == "2026-12-02T00:00:00+00:00"
    assert first["caller"] == "récords"
    # A value JSON cannot hold is logged by its repr rather than failing the check.
    assert first["unusual"] == "<opaque>"


def test_debug_level_lets_debug_lines_through() -> None:
    assert "hidden_below_the_level" in _run("json", "debug")


@pytest.mark.parametrize("log_format", ["console", "auto"])
def test_console_form_is_text_and_auto_is_json_off_a_terminal(log_format: str) -> None:
    out = _run(log_format)

    assert "check_decided" in out
    if log_format == "console":
        with pytest.raises(json.JSONDecodeError):
            json.loads(out.splitlines()[0])
    else:
        assert json.loads(out.splitlines()[0])["event"] == "check_decided"
