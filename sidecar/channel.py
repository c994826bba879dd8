"""A client's gRPC channel to a sidecar: plain text, TLS, or mutual TLS, from command-line flags.

`vir-sidecar check` and `vir-sidecar health` take the same flags and connect the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"

Answer = TypeVar("Answer")


def add_arguments(parser: argparse.ArgumentParser, *, timeout: float) -> None:
    """--address, --timeout and the TLS flags."""
    parser.add_argument("--address", default=DEFAULT_ADDRESS, help="sidecar HOST:PORT")
    parser.add_argument("--timeout", type=float, default=timeout, help="deadline in seconds")
    parser.add_argument("--tls-ca", type=Path, help="PEM CA bundle that signed the sidecar's cert")
    parser.add_argument("--tls-cert", type=Path, help="PEM client certificate, for mTLS")
    parser.add_argument("--tls-key", type=Path, help="PEM client private key, for mTLS")
    parser.add_argument(
        "--server-name", help="name to expect in the sidecar's certificate (default: the host)"
    )


def open_channel(args: argparse.Namespace) -> grpc.Channel:
    """A plain-text channel, or TLS when any TLS flag is given; mTLS with --tls-cert/--tls-key.

    Raises ValueError for half a client certificate and OSError for an unreadable file.
    """
    if not (args.tls_ca or args.tls_cert or args.tls_key or args.server_name):
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


class CallError(Exception):
    """The call could not be made, or failed; `code` is its gRPC status when it was made."""

    def __init__(self, message: str, code: grpc.StatusCode | None) -> None:
        super().__init__(message)
        self.code = code


def call(args: argparse.Namespace, invoke: Callable[[grpc.Channel], Answer]) -> Answer:
    """Open the channel `args` describe, make one call on it, and close it."""
    try:
        with open_channel(args) as connection:
            return invoke(connection)
    except (OSError, ValueError) as error:
        raise CallError(f"INVALID_TLS_SETTINGS: {error}", None) from error
    except grpc.RpcError as error:
        raise CallError(f"{error.code().name}: {error.details()}", error.code()) from error


def _read(path: Path | None) -> bytes | None:
    return None if path is None else path.read_bytes()
