"""The signed example request and `clearance sign --embed`, through a signature-checking sidecar."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import json_format

from integration_tests.processes import (
    EXAMPLES,
    ROOT,
    Sidecar,
    built_bundle,
    default_settings,
    example_file,
    opa_binary,
)
from sidecar.api import pb
from sidecar.clearance_keys import parse_jwks
from sidecar.opa.entrypoint import DECISION_QUERY
from sidecar.opa_input import build_input

EXAMPLE_KEYS = EXAMPLES / "clearance-keys.json"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def start(workdir: Path, keys: Path) -> Sidecar:
    return Sidecar(workdir, extra_args=["--clearance-keys", str(keys)]).start()


# A time inside the signed example's clearance (2026-11-30 to 2027-02-27): the token is
# judged against the policy as at then, so the test does not depend on today's date.
SIGNED_EXAMPLE_TIME = datetime(2026, 12, 1, 12, tzinfo=UTC)


def decide_signed_example(without_token: bool = False) -> dict[str, Any]:
    """The policy's decision on the committed signed example, with the example keys."""
    text = (EXAMPLES / "counselling-allowed-signed.json").read_text(encoding="utf-8")
    request = json_format.Parse(text, pb.CheckRequest())
    if without_token:
        request.clearance.token = ""
    keys = parse_jwks(EXAMPLE_KEYS.read_text(encoding="utf-8"), str(EXAMPLE_KEYS))
    document = build_input(request, now=SIGNED_EXAMPLE_TIME, caller=None, clearance_keys=keys)
    answer = subprocess.run(
        [opa_binary(), "eval", "--format", "json", "--bundle", str(built_bundle().path),
         "--bundle", str(default_settings().path), "--stdin-input", DECISION_QUERY],
        input=json.dumps(document), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    decision: dict[str, Any] = json.loads(answer.stdout)["result"][0]["expressions"][0]["value"]
    return decision


def test_the_signed_example_is_allowed_with_the_example_keys() -> None:
    decision = decide_signed_example()
    assert decision["allow"] is True, decision["reasons"]


def test_the_same_request_without_its_token_is_denied() -> None:
    decision = decide_signed_example(without_token=True)
    assert {f["code"] for f in decision["reasons"]} == {"clearance_signature_invalid"}


def test_the_signed_example_differs_from_the_unsigned_one_only_in_id_and_token() -> None:
    signed = json.loads((EXAMPLES / "counselling-allowed-signed.json").read_text())
    unsigned = json.loads((EXAMPLES / "counselling-allowed.json").read_text())
    assert signed["clearance"].pop("token").count(".") == 2
    assert signed["request_id"] != unsigned["request_id"]
    signed["request_id"] = unsigned["request_id"]
    assert signed == unsigned


def test_embedded_sign_output_is_a_request_the_check_command_sends(tmp_path: Path) -> None:
    key = tmp_path / "force-key.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    jwks = run("clearance", "jwks", "--key", str(key))
    assert jwks.returncode == 0, jwks.stderr
    keys = tmp_path / "clearance-keys.json"
    keys.write_text(jwks.stdout)
    signed = run(
        "clearance", "sign", "--key", str(key), "--embed",
        "--clearance", str(example_file("counselling-allowed", tmp_path)),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["clearance"]["token"].count(".") == 2
    sidecar = start(tmp_path / "sidecar", keys)
    try:
        checked = run("check", "--address", sidecar.address, "--request", "-", stdin=signed.stdout)
        unsigned = run(
            "check", "--address", sidecar.address,
            "--request", str(example_file("counselling-allowed", tmp_path)),
        )  # fmt: skip
    finally:
        sidecar.stop()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["allow"] is True
    assert unsigned.returncode == 1
