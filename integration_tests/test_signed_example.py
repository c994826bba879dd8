"""The signed example request and `clearance sign --embed`, through a signature-checking sidecar."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from integration_tests.processes import EXAMPLES, ROOT, Sidecar, example_request

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


@pytest.fixture
def example_keyed_sidecar(tmp_path: Path) -> Iterator[Sidecar]:
    sidecar = start(tmp_path / "sidecar", EXAMPLE_KEYS)
    yield sidecar
    sidecar.stop()


def test_the_signed_example_is_allowed(example_keyed_sidecar: Sidecar) -> None:
    assert example_keyed_sidecar.check(example_request("counselling-allowed-signed")).allow is True


def test_the_same_request_without_its_token_is_denied(example_keyed_sidecar: Sidecar) -> None:
    request = example_request("counselling-allowed-signed")
    request.clearance.token = ""
    response = example_keyed_sidecar.check(request)
    assert {f.code for f in response.reasons} == {"clearance_signature_invalid"}


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
        "--clearance", str(EXAMPLES / "counselling-allowed.json"),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["clearance"]["token"].count(".") == 2
    sidecar = start(tmp_path / "sidecar", keys)
    try:
        checked = run("check", "--address", sidecar.address, "--request", "-", stdin=signed.stdout)
        unsigned = run(
            "check", "--address", sidecar.address,
            "--request", str(EXAMPLES / "counselling-allowed.json"),
        )  # fmt: skip
    finally:
        sidecar.stop()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["allow"] is True
    assert unsigned.returncode == 1
