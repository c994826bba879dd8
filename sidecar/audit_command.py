"""`vir-sidecar audit verify|report`: check audit files' MAC chain, or report on trails."""

from __future__ import annotations

import argparse

from sidecar.audit.verify_cli import add_verify_arguments, run_verify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="audit_command", required=True)
    add_verify_arguments(commands.add_parser("verify", help="verify audit files' MAC chain"))
    from sidecar.report.cli import add_report_arguments

    add_report_arguments(
        commands.add_parser("report", help="verify trails and report their decisions for oversight")
    )


def run(args: argparse.Namespace) -> int:
    if args.audit_command == "report":
        from sidecar.report.cli import run_report

        return run_report(args)
    return run_verify(args)
