"""promtool's verdict on the live /metrics; run by `make metrics-lint`, which builds promtool."""

from __future__ import annotations

import os
import subprocess

from integration_tests.processes import ROOT, Sidecar, example_request


def test_metrics_pass_promtool_check_metrics(sidecar: Sidecar) -> None:
    promtool = os.environ.get("VIR_PROMTOOL_BINARY", str(ROOT / ".tools/bin/promtool"))
    sidecar.check(example_request())
    sidecar.check(example_request("counselling-denied"))
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=sidecar.metrics_text(),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
