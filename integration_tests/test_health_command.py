"""`vir-sidecar health`, the chart's exec probe, against a live sidecar over TLS and mTLS."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from integration_tests.pki import CertificateAuthority, Issued
from integration_tests.processes import ROOT, OpaServer, Sidecar, wait_until
from sidecar.api import SERVICE_NAME


def health(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "health", "--timeout", "3", *options],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        cwd=ROOT,
    )


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path / "pki")


@pytest.fixture
def server_cert(ca: CertificateAuthority) -> Issued:
    return ca.issue("server", common_name="vir-sidecar", server=True)


@pytest.fixture
def probe_cert(ca: CertificateAuthority) -> Issued:
    return ca.issue("probe", common_name="probe")


@pytest.fixture
def tls_sidecar(tmp_path: Path, ca: CertificateAuthority, server_cert: Issued) -> Iterator[Sidecar]:
    sidecar = Sidecar(
        tmp_path / "tls",
        extra_args=["--tls-cert", str(server_cert.cert), "--tls-key", str(server_cert.key)],
        credentials=grpc.ssl_channel_credentials(root_certificates=ca.cert.read_bytes()),
    ).start()
    yield sidecar
    sidecar.stop()


@pytest.fixture
def mtls_sidecar(
    tmp_path: Path,
    ca: CertificateAuthority,
    server_cert: Issued,
    probe_cert: Issued,
    opa_server: OpaServer,
) -> Iterator[Sidecar]:
    tls = ["--tls-cert", str(server_cert.cert), "--tls-key", str(server_cert.key)]
    sidecar = Sidecar(
        tmp_path / "mtls",
        extra_args=[*tls, "--tls-client-ca", str(ca.cert), "--opa-url", opa_server.url],
        credentials=grpc.ssl_channel_credentials(
            root_certificates=ca.cert.read_bytes(),
            private_key=probe_cert.key.read_bytes(),
            certificate_chain=probe_cert.cert.read_bytes(),
        ),
    ).start()
    yield sidecar
    sidecar.stop()


def test_tls_sidecar_is_serving(tls_sidecar: Sidecar, ca: CertificateAuthority) -> None:
    tls = ["--address", tls_sidecar.address, "--tls-ca", str(ca.cert)]
    for options in (
        [*tls, "--server-name", "localhost"],
        [*tls, "--service", SERVICE_NAME],
        tls,
    ):
        result = health(*options)
        assert result.returncode == 0, (options, result.stderr)
        assert result.stdout.strip() == f"{tls_sidecar.address}: SERVING"


def test_plain_text_to_a_tls_sidecar_is_an_error(tls_sidecar: Sidecar) -> None:
    result = health("--address", tls_sidecar.address)
    assert result.returncode == 2
    assert "UNAVAILABLE" in result.stderr


def test_mtls_sidecar_answers_the_probe_certificate_only(
    mtls_sidecar: Sidecar, ca: CertificateAuthority, probe_cert: Issued, tmp_path: Path
) -> None:
    tls = ["--address", mtls_sidecar.address, "--tls-ca", str(ca.cert)]
    client = ["--tls-cert", str(probe_cert.cert), "--tls-key", str(probe_cert.key)]
    assert health(*tls, *client).returncode == 0
    assert health(*tls).returncode == 2
    stranger = CertificateAuthority(tmp_path / "stranger", name="Stranger CA").issue(
        "stranger", common_name="probe"
    )
    assert (
        health(*tls, "--tls-cert", str(stranger.cert), "--tls-key", str(stranger.key)).returncode
        == 2
    )


def test_mtls_sidecar_without_opa_is_not_serving(
    mtls_sidecar: Sidecar, ca: CertificateAuthority, probe_cert: Issued, opa_server: OpaServer
) -> None:
    options = [
        "--address", mtls_sidecar.address, "--tls-ca", str(ca.cert),
        "--tls-cert", str(probe_cert.cert), "--tls-key", str(probe_cert.key),
    ]  # fmt: skip
    opa_server.stop()
    wait_until(mtls_sidecar.not_serving, 10, "sidecar NOT_SERVING")
    result = health(*options)
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stderr
    assert health(*options, "--service", SERVICE_NAME).returncode == 1
