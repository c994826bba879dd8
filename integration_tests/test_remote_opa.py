"""An OPA the sidecar does not start: a unix socket with token authentication, and the URLs
refused at startup."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import (
    ROOT,
    OpaServer,
    Sidecar,
    audit_records,
    example_request,
    opa_binary,
    policy_copy,
    policy_revision,
    wait_until,
)
from sidecar.opa.command import run_command
from sidecar.opa.entrypoint import BUNDLES_PATH, DECISION_PATH, SETTINGS_PROBLEMS_PATH

TOKEN = "s3cret-token-for-the-sidecar"

# OPA's own authorisation policy: the sidecar's token may ask for the decision, and, once
# for each new set of bundles, the policy's settings problems and the bundles' manifests;
# nothing else.
READABLE = [
    ["v1", "data", *path.split("/")]
    for path in (DECISION_PATH, SETTINGS_PROBLEMS_PATH, BUNDLES_PATH)
]
AUTHZ_POLICY = f"""package system.authz

default allow := false

allow if {{
	input.identity == "{TOKEN}"
	input.method == "POST"
	input.path in {json.dumps(READABLE)}
}}
"""


@pytest.fixture
def token_opa(tmp_path: Path) -> Iterator[Path]:
    """A real OPA with --authentication=token, on a unix socket; yields the socket path."""
    bundle = policy_copy(tmp_path)
    (bundle / "system").mkdir()
    (bundle / "system" / "authz.rego").write_text(AUTHZ_POLICY, encoding="utf-8")
    made = subprocess.check_output(["mktemp", "-d", "/tmp/vir-it-XXXXXX"], text=True)
    socket_dir = Path(made.strip())
    socket_path = socket_dir / "opa.sock"
    # A directory, not a built bundle: OPA's own system.authz policy sits beside ours.
    command = run_command(
        opa_binary(),
        addr=f"unix://{socket_path}",
        bundles=[bundle],
        extra=["--authentication=token", "--authorization=basic"],
    )
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(socket_path.exists, 20, "OPA's socket")
    yield socket_path
    process.kill()
    process.wait()
    subprocess.run(["rm", "-rf", str(socket_dir)], check=False)


def test_token_is_sent_to_an_opa_that_requires_it(tmp_path: Path, token_opa: Path) -> None:
    token_file = tmp_path / "opa.token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    args = ["--opa-url", f"unix://{token_opa}", "--opa-token-file", str(token_file)]
    # This OPA serves a directory, whose provenance names no revision: the fallback is used.
    args += ["--policy-revision", "named-by-the-operator"]
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=args).start()
    try:
        allowed = sidecar.check(example_request())
        assert allowed.allow is True
        assert allowed.policy_revision == "named-by-the-operator"
        assert sidecar.check(example_request("counselling-denied")).allow is False
    finally:
        sidecar.stop()
    assert [r["outcome"] for r in audit_records(sidecar.audit_dir)] == ["allow", "deny"]


def test_the_revision_is_the_one_the_remote_opa_names_for_its_bundle(
    tmp_path: Path, opa_server: OpaServer
) -> None:
    sidecar = Sidecar(tmp_path, extra_args=["--opa-url", opa_server.url]).start()
    try:
        response = sidecar.check(example_request())
        in_force = {"policy_revision": policy_revision()}
        wait_until(lambda: sidecar.metric("vir_build_info", **in_force) == 1, 10, "build info")
    finally:
        sidecar.stop()
    assert response.policy_revision == policy_revision()
    assert [r["policy_revision"] for r in audit_records(sidecar.audit_dir)] == [policy_revision()]


def test_without_the_token_opa_refuses_and_nothing_is_allowed(
    tmp_path: Path, token_opa: Path
) -> None:
    args = ["--opa-url", f"unix://{token_opa}"]
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=args).start(wait_serving=False)
    try:
        wait_until(sidecar.not_serving, 30, "the sidecar up, NOT_SERVING")
        with pytest.raises(grpc.RpcError) as error:
            sidecar.check(example_request())
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert sidecar.not_serving()
    finally:
        sidecar.stop()
    assert [r["error"] for r in audit_records(sidecar.audit_dir)] == ["opa_http_status"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1:8181", "plain http to 10.0.0.1 is refused"),
        ("http://opa.records.svc:8181", "plain http to opa.records.svc is refused"),
        ("unix://relative/opa.sock", "unix socket path must be absolute"),
    ],
)
def test_opa_url_that_anyone_could_answer_is_refused_at_startup(url: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "serve", "--opa-url", url],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
