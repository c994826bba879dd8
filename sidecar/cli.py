"""The `vir-sidecar` command.

Each subcommand lives in its own module, imported only when that subcommand
runs: `vir-sidecar health`, run by the kubelet every few seconds, loads gRPC
and nothing of the server, the policy tools or the crypto.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from sidecar import __version__


class Command(Protocol):
    """A subcommand module."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name: (help, module that defines add_arguments and run)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("run the gRPC sidecar", "sidecar.serve_command"),
    "check": ("send one CheckRequest JSON file to a sidecar", "sidecar.check_client"),
    "health": ("ask a sidecar's gRPC health service whether it is SERVING", "sidecar.health_probe"),
    "explain": (
        "evaluate one request file with opa eval and explain the decision",
        "sidecar.explain",
    ),
    "clearance": (
        "issue signed clearance tokens for tests and prototyping",
        "sidecar.clearance_token",
    ),
    "bundle": ("build the policy bundle that OPA serves", "sidecar.opa.bundle_cli"),
    "settings": (
        "check a force's settings file, or build the settings bundle OPA serves",
        "sidecar.opa.settings_cli",
    ),
    "audit": ("audit trail tools", "sidecar.audit_command"),
}


def command(name: str) -> Command:
    return cast(Command, importlib.import_module(COMMANDS[name][1]))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the other subcommands are listed but their modules not loaded."""
    parser = argparse.ArgumentParser(
        prog="vir-sidecar",
        description="Authorisation of victim information requests (PCSCA 2022 ss.44A-44F).",
    )
    parser.add_argument("--version", action="version", version=f"vir-sidecar {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _module) in COMMANDS.items():
        subparser = commands.add_parser(name, help=help_text)
        if only is None or only == name:
            command(name).add_arguments(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    named = next((a for a in arguments if not a.startswith("-")), None)
    args = build_parser(named if named in COMMANDS else None).parse_args(arguments)
    return command(args.command).run(args)


if __name__ == "__main__":
    sys.exit(main())
