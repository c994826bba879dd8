"""The policy's own words for its reason codes, read with `opa eval`.

Audit records hold reason codes only. Their messages come from the policy's finding_text,
evaluated over the rules bundle built from the same sources as the sidecar's, and named by
its revision as decisions name it (`rules@sha256:...`; the messages do not depend on the
settings); when that cannot be done, the report shows the codes and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sidecar.errors import StartupError
from sidecar.opa import bundle as policy_bundle
from sidecar.opa.command import find_binary

FINDING_TEXT_QUERY = "data.vir.authz.finding_text"
# How a decision's policy_revision names its rules bundle (sidecar.opa.revision).
RULES_PREFIX = "rules@"
EVAL_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Finding:
    message: str
    reference: str


@dataclass(frozen=True)
class PolicyMessages:
    """Messages by reason code, and where they came from."""

    by_code: dict[str, Finding] = field(default_factory=dict)
    policy_revision: str | None = None
    problem: str | None = None

    def message(self, code: str) -> str:
        finding = self.by_code.get(code)
        return finding.message if finding else code

    def reference(self, code: str) -> str:
        finding = self.by_code.get(code)
        return finding.reference if finding else ""


def load_messages(policy_dir: Path, opa_binary: str | None) -> PolicyMessages:
    """Evaluate finding_text over the served files of `policy_dir`; never raises."""
    try:
        binary = find_binary(opa_binary, os.environ)
        with tempfile.TemporaryDirectory(prefix="vir-report-") as work:
            bundle = Path(work) / "vir-policy.tar.gz"
            built = policy_bundle.build(policy_dir, bundle, opa_binary=binary)
            revision = f"{RULES_PREFIX}{built.revision}"
            result = subprocess.run(
                [binary, "eval", "--format", "json", "--bundle", str(bundle), FINDING_TEXT_QUERY],
                capture_output=True,
                text=True,
                check=False,
                timeout=EVAL_TIMEOUT_SECONDS,
                stdin=subprocess.DEVNULL,
            )
    except (OSError, StartupError, subprocess.TimeoutExpired) as error:
        return PolicyMessages(problem=f"policy messages unavailable: {error}")
    if result.returncode != 0:
        first_line = (result.stderr.strip().splitlines() or ["no output"])[0]
        return PolicyMessages(problem=f"policy messages unavailable: opa eval: {first_line}")
    try:
        value = json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    except (ValueError, KeyError, IndexError, TypeError):
        return PolicyMessages(problem="policy messages unavailable: finding_text is not defined")
    return PolicyMessages(by_code=_findings(value), policy_revision=revision)


def _findings(value: object) -> dict[str, Finding]:
    if not isinstance(value, dict):
        return {}
    found = {}
    for code, text in value.items():
        if isinstance(text, dict) and isinstance(text.get("message"), str):
            reference = text.get("reference")
            found[code] = Finding(text["message"], reference if isinstance(reference, str) else "")
    return found
