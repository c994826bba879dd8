"""The `vir-sidecar` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sidecar import __version__, check_client, clearance_token, config, explain, log_setup


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vir-sidecar",
        description="Authorisation of victim information requests (PCSCA 2022 ss.44A-44F).",
    )
    parser.add_argument("--version", action="version", version=f"vir-sidecar {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gRPC sidecar")
    config.add_arguments(serve)

    check = commands.add_parser("check", help="send one CheckRequest JSON file to a sidecar")
    check_client.add_arguments(check)

    explain_parser = commands.add_parser(
        "explain", help="evaluate one request file with opa eval and explain the decision"
    )
    explain.add_arguments(explain_parser)

    clearance = commands.add_parser(
        "clearance", help="issue signed clearance tokens for tests and prototyping"
    )
    clearance_token.add_arguments(clearance)

    audit = commands.add_parser("audit", help="audit trail tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="verify audit files' MAC chain")
    from sidecar.audit.verify_cli import add_verify_arguments

    add_verify_arguments(verify)
    report = audit_commands.add_parser(
        "report", help="verify trails and report their decisions for oversight"
    )
    from sidecar.report.cli import add_report_arguments

    add_report_arguments(report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        try:
            settings = config.resolve(args)
        except config.ConfigError as error:
            print(f"vir-sidecar serve: {error}", file=sys.stderr)
            return 2
        log_setup.configure(settings.log_format, settings.log_level)
        from sidecar import server

        return server.run(settings)
    if args.command == "check":
        return check_client.run(args)
    if args.command == "explain":
        return explain.run(args)
    if args.command == "clearance":
        return clearance_token.run(args)
    if args.audit_command == "report":
        from sidecar.report.cli import run_report

        return run_report(args)
    from sidecar.audit.verify_cli import run_verify

    return run_verify(args)


if __name__ == "__main__":
    sys.exit(main())
