"""`vir-sidecar health` against a gRPC health server: plain text, TLS and mutual TLS."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from integration_tests.pki import CertificateAuthority, Issued
from sidecar import cli, health_probe

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class Pki:
    ca: CertificateAuthority
    other_ca: CertificateAuthority
    server: Issued
    client: Issued


@dataclass
class HealthServer:
    address: str
    servicer: health.HealthServicer

    def set(self, status: int, service: str = "") -> None:
        self.servicer.set(service, status)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority(directory / "ca")
    return Pki(
        ca=ca,
        other_ca=CertificateAuthority(directory / "other", name="Other CA"),
        server=ca.issue("server", common_name="vir-sidecar", server=True),
        client=ca.issue("probe", common_name="probe"),
    )


def _serve(credentials: grpc.ServerCredentials | None) -> Iterator[HealthServer]:
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
    yield from _serve(None)


@pytest.fixture
def mtls(pki: Pki) -> Iterator[HealthServer]:
    yield from _serve(
        grpc.ssl_server_credentials(
            [(pki.server.key.read_bytes(), pki.server.cert.read_bytes())],
            root_certificates=pki.ca.cert.read_bytes(),
            require_client_auth=True,
        )
    )


def probe(*options: str) -> int:
    args = cli.build_parser().parse_args(["health", "--timeout", "3", *options])
    return health_probe.run(args)


def mtls_options(pki: Pki, address: str) -> list[str]:
    return [
        "--address", address,
        "--tls-ca", str(pki.ca.cert),
        "--tls-cert", str(pki.client.cert),
        "--tls-key", str(pki.client.key),
        "--server-name", "localhost",
    ]  # fmt: skip


def test_serving_exits_0(plaintext: HealthServer, capsys: pytest.CaptureFixture[str]) -> None:
    plaintext.set(SERVING)
    assert probe("--address", plaintext.address) == health_probe.EXIT_SERVING
    assert "SERVING" in capsys.readouterr().out


def test_not_serving_exits_1(plaintext: HealthServer, capsys: pytest.CaptureFixture[str]) -> None:
    plaintext.set(NOT_SERVING)
    assert probe("--address", plaintext.address) == health_probe.EXIT_NOT_SERVING
    assert "NOT_SERVING" in capsys.readouterr().err


def test_a_named_service_is_asked_about(plaintext: HealthServer) -> None:
    plaintext.set(NOT_SERVING)
    plaintext.set(SERVING, "vir.authz.v1.AuthorizationService")
    assert (
        probe("--address", plaintext.address, "--service", "vir.authz.v1.AuthorizationService") == 0
    )
    assert probe("--address", plaintext.address) == 1


def test_unknown_service_exits_1(
    plaintext: HealthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    plaintext.set(SERVING)
    assert probe("--address", plaintext.address, "--service", "no.such.Service") == 1
    assert "NOT_FOUND" in capsys.readouterr().err


def test_no_server_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert probe("--address", "127.0.0.1:1") == health_probe.EXIT_ERROR
    assert "UNAVAILABLE" in capsys.readouterr().err


def test_mutual_tls_with_the_client_certificate_exits_0(mtls: HealthServer, pki: Pki) -> None:
    mtls.set(SERVING)
    assert probe(*mtls_options(pki, mtls.address)) == 0


def test_tls_without_a_client_certificate_is_enough_when_none_is_asked(pki: Pki) -> None:
    credentials = grpc.ssl_server_credentials(
        [(pki.server.key.read_bytes(), pki.server.cert.read_bytes())]
    )
    for server in _serve(credentials):
        server.set(SERVING)
        options = ["--address", server.address, "--tls-ca", str(pki.ca.cert)]
        assert probe(*options, "--server-name", "localhost") == 0
        # The address itself is in the certificate too.
        assert probe(*options) == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"--tls-cert": None, "--tls-key": None}, id="no-client-certificate"),
        pytest.param({"--tls-ca": "other"}, id="untrusted-server"),
        pytest.param({"--server-name": "elsewhere.example"}, id="wrong-server-name"),
        pytest.param("plaintext", id="plaintext-to-tls"),
    ],
)
def test_tls_failures_exit_2(mtls: HealthServer, pki: Pki, change: object) -> None:
    mtls.set(SERVING)
    options = mtls_options(pki, mtls.address)
    if change == "plaintext":
        options = options[:2]
    else:
        assert isinstance(change, dict)
        pairs = dict(zip(options[::2], options[1::2], strict=True))
        for flag, value in change.items():
            if value is None:
                del pairs[flag]
            else:
                pairs[flag] = str(pki.other_ca.cert) if value == "other" else value
        options = [part for pair in pairs.items() for part in pair]
    assert probe(*options) == health_probe.EXIT_ERROR


def test_half_a_client_certificate_exits_2(pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    assert probe("--address", "127.0.0.1:1", "--tls-cert", str(pki.client.cert)) == 2
    assert "--tls-key" in capsys.readouterr().err


def test_an_unreadable_certificate_exits_2(tmp_path: Path) -> None:
    assert probe("--address", "127.0.0.1:1", "--tls-ca", str(tmp_path / "missing.crt")) == 2


def test_the_command_exits_with_the_status(plaintext: HealthServer) -> None:
    plaintext.set(NOT_SERVING)
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "health", "--address", plaintext.address],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "NOT_SERVING" in result.stderr


def test_the_probe_loads_nothing_of_the_server() -> None:
    """The kubelet runs it every few seconds: no server, policy, protobuf JSON or crypto code."""
    script = (
        "import sys\n"
        "from sidecar.cli import main\n"
        "main(['health', '--address', '127.0.0.1:1', '--timeout', '0.1'])\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30
    )
    loaded = set(result.stdout.split())
    assert "sidecar.health_probe" in loaded
    heavy = {
        "sidecar.server", "sidecar.config", "sidecar.check_client", "sidecar.explain",
        "sidecar.clearance_token", "sidecar.audit", "sidecar.opa.engine", "cryptography",
        "structlog", "aiohttp", "opa_client", "google.protobuf.json_format",
        "sidecar._generated.vir.authz.v1.authz_service_pb2",
    }  # fmt: skip
    assert not heavy & loaded
