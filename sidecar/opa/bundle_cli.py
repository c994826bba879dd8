"""`vir-sidecar bundle build`: build the policy bundle that OPA serves."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sidecar.opa import bundle
from sidecar.opa.command import OpaStartError, find_binary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="bundle_command", required=True)
    build = commands.add_parser("build", help="opa build the served policy files into a bundle")
    build.add_argument("--policy-dir", type=Path, default=Path("policies"))
    build.add_argument("--out", type=Path, default=bundle.DEFAULT_OUTPUT, help="bundle file")
    build.add_argument(
        "--signing-key", type=Path, help="PEM private key (RSA or ECDSA) to sign the bundle with"
    )
    build.add_argument(
        "--signing-alg",
        default=bundle.DEFAULT_SIGNING_ALGORITHM,
        help="JWT algorithm of the signing key (default %(default)s)",
    )
    build.add_argument(
        "--signing-key-id",
        default=bundle.DEFAULT_SIGNING_KEY_ID,
        help="key id the signature names, for OPA's --verification-key-id (default %(default)s)",
    )
    build.add_argument("--opa-binary", default=None)


def run(args: argparse.Namespace) -> int:
    try:
        built = bundle.build(
            args.policy_dir,
            args.out,
            opa_binary=find_binary(args.opa_binary, os.environ),
            signing_key=args.signing_key,
            signing_algorithm=args.signing_alg,
            signing_key_id=args.signing_key_id,
        )
    except (bundle.BundleError, OpaStartError) as error:
        print(f"vir-sidecar bundle build: {error}", file=sys.stderr)
        return 1
    print(f"{built.path} {built.revision}{' signed' if built.signed else ''}")
    return 0
