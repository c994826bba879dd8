"""`vir-sidecar audit verify [--key-file F] PATH...`: check a trail from the command line.

Exit status: 0 chain intact, 1 verification failed, 2 usage error or unusable key.
"""

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from sidecar.audit.errors import AuditKeyError
from sidecar.audit.keys import KEY_ENV_VAR, load_audit_key
from sidecar.audit.verify import verify_paths

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
_MAC_PATTERN = re.compile(r"[0-9a-f]{64}")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verify options to `parser`, e.g. a subcommand parser; run with run_verify."""
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="trail directories or audit files, oldest first",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        help=f"file holding the audit key as hex (default: ${KEY_ENV_VAR})",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="accept a trail that starts after the genesis record "
        "(its earlier files were shipped elsewhere)",
    )
    parser.add_argument(
        "--anchor-mac",
        metavar="MAC",
        help="a record MAC kept outside the trail; fail unless the trail still holds it",
    )
    parser.add_argument(
        "--accept-quarantined",
        action="store_true",
        help="accept quarantine files that hold only a torn write from a crash "
        "(a quarantined complete record always fails)",
    )


def key_for_paths(args: argparse.Namespace) -> bytes | None:
    """The audit key for `args.paths`; None, with the reason on stderr, when there is no key
    or a path does not exist."""
    try:
        key = load_audit_key(args.key_file, os.environ)
    except AuditKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return None
    return key


def run_verify(args: argparse.Namespace) -> int:
    """Verify the trail described by parsed `args`; print the result; return the exit status."""
    key = key_for_paths(args)
    if key is None:
        return EXIT_USAGE
    if args.anchor_mac is not None and not _MAC_PATTERN.fullmatch(args.anchor_mac):
        print("error: --anchor-mac must be 64 lowercase hex digits", file=sys.stderr)
        return EXIT_USAGE
    result = verify_paths(
        args.paths,
        key,
        from_genesis=not args.partial,
        anchor_mac=args.anchor_mac,
        accept_quarantined=args.accept_quarantined,
    )
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def verify_main(argv: Sequence[str]) -> int:
    """Entry point for `vir-sidecar audit verify`; `argv` excludes the command words."""
    parser = argparse.ArgumentParser(
        prog="vir-sidecar audit verify",
        description="Check that an audit trail's records are unaltered and unbroken.",
    )
    add_verify_arguments(parser)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    return run_verify(args)
