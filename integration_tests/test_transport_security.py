"""TLS and mTLS on the gRPC listener, caller identity and the caller allow-list."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from integration_tests.pki import CertificateAuthority, Issued
from integration_tests.processes import (
    ROOT,
    Sidecar,
    audit_records,
    example_request,
    free_port,
    policy_copy,
)
from sidecar.api import pb_grpc

RECORDS_SYSTEM = "spiffe://thames-valley.police.uk/records-system"


def client_credentials(ca: CertificateAuthority, client: Issued | None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=ca.cert.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None,
    )


@pytest.fixture
def pki(tmp_path: Path) -> tuple[CertificateAuthority, Issued]:
    ca = CertificateAuthority(tmp_path / "pki")
    server = ca.issue("server", common_name="vir-sidecar", server=True)
    return ca, server


@pytest.fixture
def mtls_sidecar(tmp_path: Path, pki: tuple[CertificateAuthority, Issued]) -> Iterator[Sidecar]:
    ca, server = pki
    allowed = ca.issue("allowed", common_name="records-system", uri=RECORDS_SYSTEM)
    tls_args = [
        "--tls-cert", str(server.cert), "--tls-key", str(server.key),
        "--tls-client-ca", str(ca.cert),
    ]  # fmt: skip
    sidecar = Sidecar(
        tmp_path / "sidecar",
        extra_args=tls_args,
        policy_dir=policy_copy(tmp_path, allowed_callers=[RECORDS_SYSTEM]),
        credentials=client_credentials(ca, allowed),
    ).start()
    yield sidecar
    sidecar.stop()


def test_allow_listed_client_is_served_and_named_in_the_audit(
    mtls_sidecar: Sidecar, pki: tuple[CertificateAuthority, Issued]
) -> None:
    response = mtls_sidecar.check(example_request())
    assert response.allow is True
    mtls_sidecar.stop()
    assert audit_records(mtls_sidecar.audit_dir)[-1]["caller"] == RECORDS_SYSTEM


def test_client_off_the_allow_list_is_denied_with_caller_not_allowed(
    mtls_sidecar: Sidecar, pki: tuple[CertificateAuthority, Issued]
) -> None:
    ca, _ = pki
    stranger = ca.issue("stranger", common_name="analytics-batch-job")
    channel = mtls_sidecar.open_channel(client_credentials(ca, stranger))
    response = pb_grpc.AuthorizationServiceStub(channel).Check(example_request(), timeout=5)
    channel.close()
    assert response.allow is False
    assert [f.code for f in response.reasons] == ["caller_not_allowed"]
    mtls_sidecar.stop()
    assert audit_records(mtls_sidecar.audit_dir)[-1]["caller"] == "analytics-batch-job"


def test_cn_spelling_an_allow_listed_uri_does_not_stand_in_for_the_uri_san(
    mtls_sidecar: Sidecar, pki: tuple[CertificateAuthority, Issued]
) -> None:
    ca, _ = pki
    impostor = ca.issue("cn-only", common_name=RECORDS_SYSTEM)  # no URI SAN at all
    channel = mtls_sidecar.open_channel(client_credentials(ca, impostor))
    response = pb_grpc.AuthorizationServiceStub(channel).Check(example_request(), timeout=5)
    channel.close()
    assert response.allow is False
    assert [f.code for f in response.reasons] == ["caller_not_allowed"]
    mtls_sidecar.stop()
    assert audit_records(mtls_sidecar.audit_dir)[-1]["caller"] is None


@pytest.mark.parametrize("client", ["other-ca", "no-certificate"])
def test_unknown_client_is_rejected_at_the_handshake(
    mtls_sidecar: Sidecar, pki: tuple[CertificateAuthority, Issued], tmp_path: Path, client: str
) -> None:
    ca, _ = pki
    issued = None
    if client == "other-ca":
        issued = CertificateAuthority(tmp_path / "rogue", name="Rogue CA").issue(
            "rogue", common_name="records-system", uri=RECORDS_SYSTEM
        )
    channel = mtls_sidecar.open_channel(client_credentials(ca, issued))
    with pytest.raises(grpc.RpcError) as error:
        pb_grpc.AuthorizationServiceStub(channel).Check(example_request(), timeout=5)
    channel.close()
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    mtls_sidecar.stop()
    assert audit_records(mtls_sidecar.audit_dir) == []


def test_check_cli_speaks_mtls(
    mtls_sidecar: Sidecar, pki: tuple[CertificateAuthority, Issued]
) -> None:
    ca, _ = pki
    client = ca.issue("cli", common_name="cli", uri=RECORDS_SYSTEM)
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "check", "--address", f"localhost:{mtls_sidecar.port}",
         "--request", str(ROOT / "examples" / "counselling-allowed.json"),
         "--tls-ca", str(ca.cert), "--tls-cert", str(client.cert), "--tls-key", str(client.key)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"allow": true' in result.stdout


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sidecar", "serve", "--audit-dir", "unused", *args]


def test_plain_text_on_a_non_loopback_address_is_refused() -> None:
    result = subprocess.run(
        serve_command("--listen", f"0.0.0.0:{free_port()}"),
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--insecure" in result.stderr
    assert "not a loopback address" in result.stderr


def test_insecure_flag_allows_it_with_a_warning(tmp_path: Path) -> None:
    port = free_port()
    sidecar = Sidecar(tmp_path, port=port, extra_args=["--listen", f"0.0.0.0:{port}", "--insecure"])
    sidecar.start()
    try:
        assert sidecar.check(example_request()).allow is True
    finally:
        sidecar.stop()
    events = [line.get("event") for line in sidecar.log_lines()]
    assert "INSECURE: gRPC without TLS" in events
