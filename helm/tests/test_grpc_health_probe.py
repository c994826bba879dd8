"""files/grpc_health_probe.py, the exec probe and helm test, against a real gRPC health server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from chartlib import CHART
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from testpki import SERVER_NAME, Pki

PROBE = CHART / "files" / "grpc_health_probe.py"


@dataclass
class HealthServer:
    address: str
    servicer: health.HealthServicer

    def set(self, status: int) -> None:
        self.servicer.set("", status)


def _start(credentials: grpc.ServerCredentials | None) -> Iterator[HealthServer]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        yield HealthServer(f"127.0.0.1:{port}", servicer)
    finally:
        server.stop(grace=None)


@pytest.fixture
def plaintext() -> Iterator[HealthServer]:
    yield from _start(None)


@pytest.fixture
def mtls(pki: Pki) -> Iterator[HealthServer]:
    credentials = grpc.ssl_server_credentials(
        [(pki.server_key.read_bytes(), pki.server_cert.read_bytes())],
        root_certificates=pki.ca.read_bytes(),
        require_client_auth=True,
    )
    yield from _start(credentials)


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(PROBE), "--timeout", "3", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_serving_passes(plaintext: HealthServer) -> None:
    plaintext.set(health_pb2.HealthCheckResponse.SERVING)
    result = probe("--address", plaintext.address)
    assert result.returncode == 0, result.stderr
    assert "SERVING" in result.stdout


def test_not_serving_fails(plaintext: HealthServer) -> None:
    plaintext.set(health_pb2.HealthCheckResponse.NOT_SERVING)
    result = probe("--address", plaintext.address)
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stderr


def test_unknown_service_fails(plaintext: HealthServer) -> None:
    plaintext.set(health_pb2.HealthCheckResponse.SERVING)
    result = probe("--address", plaintext.address, "--service", "no.such.Service")
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr


def test_no_server_fails() -> None:
    result = probe("--address", "127.0.0.1:1")
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stderr


def test_mutual_tls_passes_with_the_client_certificate(mtls: HealthServer, pki: Pki) -> None:
    mtls.set(health_pb2.HealthCheckResponse.SERVING)
    result = probe(
        "--address", mtls.address,
        "--tls-ca", str(pki.ca),
        "--tls-cert", str(pki.client_cert),
        "--tls-key", str(pki.client_key),
        "--server-name", SERVER_NAME,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--tls-ca", "{ca}", "--server-name", SERVER_NAME], id="no-client-cert"),
        pytest.param(
            ["--tls-ca", "{other_ca}", "--tls-cert", "{client_cert}", "--tls-key", "{client_key}",
             "--server-name", SERVER_NAME],
            id="untrusted-server",
        ),
        pytest.param(
            ["--tls-ca", "{ca}", "--tls-cert", "{client_cert}", "--tls-key", "{client_key}",
             "--server-name", "elsewhere.example"],
            id="wrong-server-name",
        ),
        pytest.param([], id="plaintext-to-tls"),
    ],
)  # fmt: skip
def test_tls_failures_fail(mtls: HealthServer, pki: Pki, options: list[str]) -> None:
    mtls.set(health_pb2.HealthCheckResponse.SERVING)
    paths = {name: str(getattr(pki, name)) for name in ("ca", "other_ca", "client_cert",
                                                         "client_key")}  # fmt: skip
    result = probe("--address", mtls.address, *(o.format(**paths) for o in options))
    assert result.returncode == 1, result.stdout


def test_half_a_client_certificate_is_a_usage_error(pki: Pki) -> None:
    result = probe("--address", "127.0.0.1:1", "--tls-cert", str(pki.client_cert))
    assert result.returncode == 2
    assert "--tls-key" in result.stderr


def test_unreadable_certificate_is_a_usage_error(tmp_path: Path) -> None:
    result = probe("--address", "127.0.0.1:1", "--tls-ca", str(tmp_path / "missing.crt"))
    assert result.returncode == 2
