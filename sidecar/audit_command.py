"""`vir-sidecar audit verify`: check audit files' MAC chain."""

from __future__ import annotations

import argparse

from sidecar.audit.verify_cli import add_verify_arguments, run_verify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="audit_command", required=True)
    add_verify_arguments(commands.add_parser("verify", help="verify audit files' MAC chain"))


def run(args: argparse.Namespace) -> int:
    return run_verify(args)
