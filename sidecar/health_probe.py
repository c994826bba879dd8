"""`vir-sidecar health`: ask a sidecar's grpc.health.v1 service whether it is SERVING.

The chart's exec probes and its helm test run it where the kubelet's native
gRPC probe cannot reach: a sidecar on loopback only, or one that speaks TLS.
It imports only gRPC, so a probe costs little CPU.
"""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from sidecar import channel

EXIT_SERVING = 0
EXIT_NOT_SERVING = 1
EXIT_ERROR = 2

DEFAULT_TIMEOUT_SECONDS = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Exit 0 when the service is SERVING; 1 when the sidecar answers with any other"
        " status or does not know the service; 2 when there is no answer (unreachable,"
        " TLS refused, deadline passed) or the options are unusable."
    )
    channel.add_arguments(parser, timeout=DEFAULT_TIMEOUT_SECONDS)
    parser.add_argument(
        "--service", default="", help="health service name (default: '', the whole server)"
    )


def run(args: argparse.Namespace) -> int:
    request = health_pb2.HealthCheckRequest(service=args.service)
    try:
        response = channel.call(
            args, lambda c: health_pb2_grpc.HealthStub(c).Check(request, timeout=args.timeout)
        )
    except channel.CallError as error:
        print(f"{args.address}: {error}", file=sys.stderr)
        return EXIT_NOT_SERVING if error.code == grpc.StatusCode.NOT_FOUND else EXIT_ERROR
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"{args.address}: {status}", file=sys.stderr)
        return EXIT_NOT_SERVING
    print(f"{args.address}: {status}")
    return EXIT_SERVING
