"""`vir-sidecar check`: send one CheckRequest, written as protobuf JSON, and print the answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format

from sidecar import channel
from sidecar.api import pb, pb_grpc
from sidecar.rich_errors import field_violations

EXIT_ALLOWED = 0
EXIT_DENIED = 1
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    channel.add_arguments(parser, timeout=5.0)
    parser.add_argument(
        "--request", required=True, type=Path, help="CheckRequest as protobuf JSON ('-' for stdin)"
    )


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
        response = channel.call(
            args, lambda c: pb_grpc.AuthorizationServiceStub(c).Check(request, timeout=args.timeout)
        )
    except channel.CallError as error:
        print(error, file=sys.stderr)
        if isinstance(error.__cause__, grpc.RpcError):
            for field, description in field_violations(error.__cause__):
                print(f"field {field}: {description}", file=sys.stderr)
        return EXIT_ERROR
    print(response_json(response))
    return EXIT_ALLOWED if response.allow else EXIT_DENIED
