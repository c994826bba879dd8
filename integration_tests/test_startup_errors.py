"""Every way the sidecar cannot start ends `serve` with status 1 and one log line, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from integration_tests.processes import (
    ROOT,
    TEST_AUDIT_KEY,
    free_port,
    opa_binary,
    policy_copy,
)


def serve(tmp_path: Path, *extra: str, audit_key: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(sys.executable).parent), "VIR_OPA_BINARY": opa_binary()}
    if audit_key:
        env["VIR_AUDIT_KEY"] = TEST_AUDIT_KEY
    return subprocess.run(
        [
            sys.executable, "-m", "sidecar", "serve",
            "--listen", f"127.0.0.1:{free_port()}",
            "--metrics-listen", f"127.0.0.1:{free_port()}",
            "--audit-dir", str(tmp_path / "audit"),
            "--log-format", "json",
            *extra,
        ],
        capture_output=True, text=True, check=False, timeout=60, env=env, cwd=ROOT,
    )  # fmt: skip


def _not_json(tmp_path: Path) -> list[str]:
    keys = tmp_path / "keys.jwks"
    keys.write_text("not json")
    return ["--clearance-keys", str(keys)]


def _broken_policy(tmp_path: Path) -> list[str]:
    policies = policy_copy(tmp_path)
    (policies / "vir" / "authz" / "broken.rego").write_text("package vir.authz\n\nbroken if {\n")
    return ["--policy-dir", str(policies)]


def _missing_audit_key_file(tmp_path: Path) -> list[str]:
    return ["--audit-key-file", str(tmp_path / "no-such.key")]


def _opa_that_is_not_there(tmp_path: Path) -> list[str]:
    return ["--opa-binary", str(tmp_path / "no-such-opa")]


@pytest.mark.parametrize(
    ("make_args", "audit_key"),
    [
        pytest.param(_not_json, True, id="clearance-keys-not-json"),
        pytest.param(_broken_policy, True, id="policy-does-not-compile"),
        pytest.param(_missing_audit_key_file, False, id="audit-key-file-missing"),
        pytest.param(_opa_that_is_not_there, True, id="no-opa-binary"),
    ],
)
def test_startup_failure_exits_1_with_one_message(
    tmp_path: Path, make_args: Callable[[Path], list[str]], audit_key: bool
) -> None:
    result = serve(tmp_path, *make_args(tmp_path), audit_key=audit_key)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    (failure,) = [e for e in events if e["event"] == "startup_failed"]
    assert failure["error"]
