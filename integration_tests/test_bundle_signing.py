"""A signed policy bundle: a real OPA configured with its verification key serves it, and
refuses it altered.

OPA checks the rules bundle when it loads it, before serving anything: an unsigned,
altered or foreign-signed bundle stops `opa run` at start, so no decision is ever made by a
policy nobody signed. The settings bundle beside it is the operator's own, unsigned.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import tarfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integration_tests.processes import (
    POLICIES,
    default_settings,
    free_port,
    opa_binary,
    wait_until,
)
from sidecar.opa.bundle import DEFAULT_SIGNING_KEY_ID, Bundle, build, read_manifest
from sidecar.opa.command import (
    RULES_BUNDLE_NAME,
    Verification,
    run_command,
    write_verification_config,
)
from sidecar.opa.entrypoint import DECISION_PATH

REFUSAL_SECONDS = 20
PROBE_INPUT = {"request": {}, "context": {"time": "2026-01-12T00:00:00Z"}}


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path


def key_pair(directory: Path, name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pair = KeyPair(directory / f"{name}.pem", directory / f"{name}.pub.pem")
    pair.private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pair


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return key_pair(tmp_path_factory.mktemp("keys"), "signing")


@pytest.fixture(scope="module")
def signed(keys: KeyPair, tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    output = tmp_path_factory.mktemp("bundle") / "vir-policy.tar.gz"
    return build(POLICIES, output, opa_binary=opa_binary(), signing_key=keys.private)


def rewrite(
    bundle: Path, output: Path, change: dict[str, bytes], add: dict[str, bytes] | None = None
) -> Path:
    """Copy `bundle` with members' content replaced or added; the signatures are kept."""
    with tarfile.open(bundle) as source, tarfile.open(output, "w:gz") as target:
        for info in source:
            stream = source.extractfile(info)
            assert stream is not None
            content = change.get(info.name.lstrip("/"), stream.read())
            info.size = len(content)
            target.addfile(info, io.BytesIO(content))
        for name, content in (add or {}).items():
            info = tarfile.TarInfo(f"/{name}")
            info.size = len(content)
            target.addfile(info, io.BytesIO(content))
    return output


def member(bundle: Path, name: str) -> bytes:
    with tarfile.open(bundle) as archive:
        stream = archive.extractfile(f"/{name}")
        assert stream is not None
        return stream.read()


@dataclass
class VerifyingOpa:
    """`opa run --server` on a rules bundle file with a verification key, and the settings."""

    bundle: Path
    public_key: Path
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> VerifyingOpa:
        self.port = free_port()
        config = write_verification_config(
            self.log.with_suffix(".config.json"),
            self.bundle,
            Verification(self.public_key, DEFAULT_SIGNING_KEY_ID),
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                run_command(
                    opa_binary(),
                    addr=f"127.0.0.1:{self.port}",
                    bundles=[default_settings().path],
                    config_file=config,
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def decide(self) -> dict[str, Any]:
        """The decision, with OPA's provenance: which bundle revision made it."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/data/{DECISION_PATH}?provenance",
            data=json.dumps({"input": PROBE_INPUT}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
            body: dict[str, Any] = json.load(answer)
            return body

    def answers(self) -> bool:
        try:
            self.decide()
        except OSError:
            return False
        return True

    def refusal(self) -> str:
        """Wait for OPA to exit on the bundle; return what it said."""
        assert self.process is not None
        status = self.process.wait(timeout=REFUSAL_SECONDS)
        assert status != 0
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def opas() -> Iterator[list[VerifyingOpa]]:
    started: list[VerifyingOpa] = []
    yield started
    for opa in started:
        opa.stop()


def start_opa(opas: list[VerifyingOpa], bundle: Path, public_key: Path) -> VerifyingOpa:
    opa = VerifyingOpa(bundle, public_key, bundle.with_suffix(f".{len(opas)}.log")).start()
    opas.append(opa)
    return opa


def test_signed_bundle_is_served_and_names_its_revision(
    signed: Bundle, keys: KeyPair, opas: list[VerifyingOpa]
) -> None:
    assert signed.signed
    (token,) = json.loads(member(signed.path, ".signatures.json"))["signatures"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "kid": DEFAULT_SIGNING_KEY_ID, "typ": "JWT"}
    opa = start_opa(opas, signed.path, keys.public)
    wait_until(opa.answers, 20, "OPA serving the signed bundle")
    answer = opa.decide()
    assert answer["result"]["allow"] is False
    assert answer["result"]["reasons"]
    loaded = answer["provenance"]["bundles"]
    assert loaded[RULES_BUNDLE_NAME] == {"revision": signed.revision}
    assert {"revision": default_settings().revision} in loaded.values()
    assert read_manifest(signed.path)["revision"] == signed.revision


def test_unsigned_bundle_is_refused(
    keys: KeyPair, opas: list[VerifyingOpa], tmp_path: Path
) -> None:
    unsigned = build(POLICIES, tmp_path / "unsigned.tar.gz", opa_binary=opa_binary())
    assert not unsigned.signed
    refusal = start_opa(opas, unsigned.path, keys.public).refusal()
    assert "missing .signatures.json" in refusal


ALLOW_EVERYTHING = (b"allow := count(reason_codes) == 0", b"allow := true")


@pytest.mark.parametrize(
    ("name", "alter"),
    [
        pytest.param(
            "vir/authz/decision.rego",
            lambda content: content.replace(*ALLOW_EVERYTHING),
            id="rule-rewritten",
        ),
        pytest.param(
            "data.json",
            lambda content: json.dumps({**json.loads(content), "extra": 1}).encode(),
            id="data",
        ),
        pytest.param(
            ".manifest",
            lambda content: content.replace(b'"revision":"sha256:', b'"revision":"sha256:0'),
            id="revision",
        ),
    ],
)
def test_altered_bundle_is_refused(
    signed: Bundle,
    keys: KeyPair,
    opas: list[VerifyingOpa],
    tmp_path: Path,
    name: str,
    alter: Callable[[bytes], bytes],
) -> None:
    original = member(signed.path, name)
    altered = alter(original)
    assert altered != original
    tampered = rewrite(signed.path, tmp_path / "tampered.tar.gz", {name: altered})
    refusal = start_opa(opas, tampered, keys.public).refusal()
    assert "digest mismatch" in refusal
    assert name in refusal


def test_bundle_with_an_added_rule_file_is_refused(
    signed: Bundle, keys: KeyPair, opas: list[VerifyingOpa], tmp_path: Path
) -> None:
    extra = b"package vir.authz\n\nextra_rule := true\n"
    tampered = rewrite(
        signed.path, tmp_path / "added.tar.gz", {}, add={"vir/authz/extra.rego": extra}
    )
    refusal = start_opa(opas, tampered, keys.public).refusal()
    assert "extra.rego" in refusal


def test_bundle_signed_with_another_key_is_refused(
    keys: KeyPair, opas: list[VerifyingOpa], tmp_path: Path
) -> None:
    other = key_pair(tmp_path, "other")
    foreign = build(
        POLICIES, tmp_path / "foreign.tar.gz", opa_binary=opa_binary(), signing_key=other.private
    )
    refusal = start_opa(opas, foreign.path, keys.public).refusal()
    assert "verification error" in refusal
