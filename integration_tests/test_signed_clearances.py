"""Signed clearances through the real sidecar: tokens issued by `vir-sidecar clearance sign`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google.protobuf import json_format

from integration_tests.processes import ROOT, Sidecar, example_file, example_request
from sidecar.api import pb


def write_key(path: Path, kind: str) -> Path:
    key = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "clearance", *args],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def sign(key: Path, request: pb.CheckRequest, tmp_path: Path) -> str:
    clearance_file = tmp_path / f"clearance-{time.monotonic_ns()}.json"
    clearance_file.write_text(json_format.MessageToJson(request.clearance))
    return cli("sign", "--key", str(key), "--clearance", str(clearance_file))


def codes(response: pb.CheckResponse) -> set[str]:
    return {finding.code for finding in response.reasons}


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {
        "force": write_key(tmp_path / "force-ec.pem", "ec"),
        "force_rsa": write_key(tmp_path / "force-rsa.pem", "rsa"),
        "rogue": write_key(tmp_path / "rogue.pem", "ec"),
    }


@pytest.fixture
def jwks_file(tmp_path: Path, keys: dict[str, Path]) -> Path:
    path = tmp_path / "clearance-keys.json"
    path.write_text(cli("jwks", "--key", str(keys["force"]), str(keys["force_rsa"])))
    return path


@pytest.fixture
def signed_sidecar(tmp_path: Path, jwks_file: Path) -> Iterator[Sidecar]:
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=["--clearance-keys", str(jwks_file)])
    yield sidecar.start()
    sidecar.stop()


@pytest.mark.parametrize("key_name", ["force", "force_rsa"])
def test_good_token_allows(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path, key_name: str
) -> None:
    request = example_request()
    request.clearance.token = sign(keys[key_name], request, tmp_path)
    assert signed_sidecar.check(request).allow is True


def test_signing_cli_takes_a_whole_request_file(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path
) -> None:
    request = example_request()
    request.clearance.token = cli(
        "sign",
        "--key",
        str(keys["force"]),
        "--clearance",
        str(example_file("counselling-allowed", tmp_path)),
    )
    assert signed_sidecar.check(request).allow is True


def test_missing_token_is_denied(signed_sidecar: Sidecar) -> None:
    response = signed_sidecar.check(example_request())
    assert codes(response) == {"clearance_signature_invalid"}


def test_forged_token_is_denied(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path
) -> None:
    request = example_request()
    request.clearance.token = sign(keys["rogue"], request, tmp_path)
    assert codes(signed_sidecar.check(request)) == {"clearance_signature_invalid"}


def test_expired_token_is_denied(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path
) -> None:
    request = example_request()
    request.clearance.expires_at.FromJsonString("2026-02-01T00:00:00Z")
    request.clearance.token = sign(keys["force"], request, tmp_path)
    assert codes(signed_sidecar.check(request)) == {
        "clearance_expired",
        "clearance_signature_invalid",
    }


def test_token_for_another_victim_is_denied(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path
) -> None:
    other = example_request()
    other.clearance.victim_id = "V-someone-else"
    request = example_request()
    request.clearance.token = sign(keys["force"], other, tmp_path)
    assert codes(signed_sidecar.check(request)) == {"clearance_signature_invalid"}


def test_tampered_token_is_denied(
    signed_sidecar: Sidecar, keys: dict[str, Path], tmp_path: Path
) -> None:
    request = example_request()
    header, payload, signature = sign(keys["force"], request, tmp_path).split(".")
    request.clearance.token = ".".join([header, payload, signature[:-4] + "AAAA"])
    assert codes(signed_sidecar.check(request)) == {"clearance_signature_invalid"}


def test_non_counselling_request_needs_no_token(signed_sidecar: Sidecar) -> None:
    request = example_request()
    request.record.category = pb.RECORD_CATEGORY_MEDICAL
    request.record.holder = "John Radcliffe Hospital"
    request.record.holder_provides_counselling = False
    request.ClearField("clearance")
    assert signed_sidecar.check(request).allow is True


def test_keys_are_rotated_without_a_restart(
    signed_sidecar: Sidecar, keys: dict[str, Path], jwks_file: Path, tmp_path: Path
) -> None:
    opa_pid = signed_sidecar.opa_pid()
    request = example_request()
    request.clearance.token = sign(keys["rogue"], request, tmp_path)
    assert signed_sidecar.check(request).allow is False
    jwks_file.write_text(cli("jwks", "--key", str(keys["rogue"])))
    deadline = time.monotonic() + 10
    while not signed_sidecar.check(request).allow:
        assert time.monotonic() < deadline, "new key never taken up"
        time.sleep(0.2)
    old = example_request()
    old.clearance.token = sign(keys["force"], old, tmp_path)
    assert codes(signed_sidecar.check(old)) == {"clearance_signature_invalid"}
    assert signed_sidecar.opa_pid() == opa_pid


def test_unusable_key_file_stops_startup(tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [{"kty": "EC", "d": "secret", "x": "", "y": ""}]}))
    sidecar = Sidecar(tmp_path, extra_args=["--clearance-keys", str(private)])
    sidecar.start(wait_serving=False)
    assert sidecar.process is not None
    assert sidecar.process.wait(30) == 1
    assert any("private key" in str(line.get("error")) for line in sidecar.log_lines())
    sidecar.stop()
