"""promtool's verdict on the chart's alerting rules; run by `make metrics-lint`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from integration_tests.processes import ROOT


def test_chart_rules_pass_promtool_check_rules(tmp_path: Path) -> None:
    helm = os.environ.get("VIR_HELM_BINARY", str(ROOT / ".tools/bin/helm"))
    promtool = os.environ.get("VIR_PROMTOOL_BINARY", str(ROOT / ".tools/bin/promtool"))
    rendered = subprocess.run(
        [helm, "template", "vir", str(ROOT / "helm/vir-sidecar"), "--namespace", "authz",
         "--values", str(ROOT / "helm/vir-sidecar/ci/pdp-values.yaml"),
         "--kube-version", "1.33.0",
         "--set", "prometheusRule.enabled=true",
         "--show-only", "templates/prometheusrule.yaml"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    rule = yaml.safe_load(rendered)
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]), encoding="utf-8")
    assert rule["spec"]["groups"][0]["rules"]

    result = subprocess.run(
        [promtool, "check", "rules", str(rules_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout
