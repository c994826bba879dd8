"""Ask a vir-sidecar's grpc.health.v1 service whether it is SERVING.

Kubernetes runs this as an exec probe where its native gRPC probe cannot reach
the sidecar: the sidecar listens on loopback only (sidecar mode), or speaks
TLS, which native gRPC probes do not. The helm test pod runs it too.

Exit status: 0 SERVING; 1 any other status, no answer, or a TLS failure;
2 a usage error or an unreadable certificate file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

EXIT_SERVING = 0
EXIT_NOT_SERVING = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="HOST:PORT of the sidecar")
    parser.add_argument("--service", default="", help="health service name ('' for the server)")
    parser.add_argument("--timeout", type=float, default=3.0, help="deadline in seconds")
    parser.add_argument("--tls-ca", type=Path, help="CA bundle that verifies the server (TLS)")
    parser.add_argument("--tls-cert", type=Path, help="client certificate to present (mTLS)")
    parser.add_argument("--tls-key", type=Path, help="key of the client certificate (mTLS)")
    parser.add_argument("--server-name", help="name to verify in the server certificate")
    return parser


def _read(path: Path | None) -> bytes | None:
    return None if path is None else path.read_bytes()


def channel_for(args: argparse.Namespace) -> grpc.Channel:
    """A plaintext channel, or a TLS one when any TLS option is given."""
    if args.tls_ca is None and args.tls_cert is None and args.server_name is None:
        return grpc.insecure_channel(args.address)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(args.tls_ca),
        private_key=_read(args.tls_key),
        certificate_chain=_read(args.tls_cert),
    )
    options = []
    if args.server_name:
        options = [
            ("grpc.ssl_target_name_override", args.server_name),
            ("grpc.default_authority", args.server_name),
        ]
    return grpc.secure_channel(args.address, credentials, options=options)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        channel = channel_for(args)
    except (OSError, ValueError) as error:
        print(f"grpc health probe: {error}", file=sys.stderr)
        return EXIT_USAGE
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
            )
        except grpc.RpcError as error:
            print(f"{args.address}: {error.code().name}: {error.details()}", file=sys.stderr)
            return EXIT_NOT_SERVING
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"{args.address}: {status}", file=sys.stderr)
        return EXIT_NOT_SERVING
    print(f"{args.address}: {status}")
    return EXIT_SERVING


if __name__ == "__main__":
    sys.exit(main())
