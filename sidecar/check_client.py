"""`vir-sidecar check`: send one CheckRequest, written as protobuf JSON, and print the answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format

from sidecar.api import pb, pb_grpc
from sidecar.rich_errors import field_violations

EXIT_ALLOWED = 0
EXIT_DENIED = 1
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", default="127.0.0.1:50051", help="sidecar HOST:PORT")
    parser.add_argument(
        "--request", required=True, type=Path, help="CheckRequest as protobuf JSON ('-' for stdin)"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="deadline in seconds")
    parser.add_argument("--tls-ca", type=Path, help="PEM CA bundle that signed the sidecar's cert")
    parser.add_argument("--tls-cert", type=Path, help="PEM client certificate, for mTLS")
    parser.add_argument("--tls-key", type=Path, help="PEM client private key, for mTLS")
    parser.add_argument(
        "--server-name", help="name to expect in the sidecar's certificate (default: the host)"
    )


def open_channel(args: argparse.Namespace) -> grpc.Channel:
    """A plain channel, or TLS when any --tls-* flag is given."""
    if not (args.tls_ca or args.tls_cert or args.tls_key):
        return grpc.insecure_channel(args.address)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=args.tls_ca.read_bytes() if args.tls_ca else None,
        private_key=args.tls_key.read_bytes() if args.tls_key else None,
        certificate_chain=args.tls_cert.read_bytes() if args.tls_cert else None,
    )
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    return grpc.secure_channel(args.address, credentials, options=options)


def load_request(path: Path) -> pb.CheckRequest:
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    return json_format.Parse(text, pb.CheckRequest())


def response_json(response: pb.CheckResponse) -> str:
    return json.dumps(
        json_format.MessageToDict(
            response,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        ),
        indent=2,
    )


def run(args: argparse.Namespace) -> int:
    try:
        request = load_request(args.request)
    except (OSError, json_format.ParseError) as error:
        print(f"INVALID_REQUEST_FILE: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        channel = open_channel(args)
    except (OSError, ValueError) as error:
        print(f"INVALID_TLS_SETTINGS: {error}", file=sys.stderr)
        return EXIT_ERROR
    with channel:
        stub = pb_grpc.AuthorizationServiceStub(channel)
        try:
            response = stub.Check(request, timeout=args.timeout)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            for field, description in field_violations(error):
                print(f"field {field}: {description}", file=sys.stderr)
            return EXIT_ERROR
    print(response_json(response))
    return EXIT_ALLOWED if response.allow else EXIT_DENIED
