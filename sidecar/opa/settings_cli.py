"""`vir-sidecar settings`: check a force's settings file, or build its settings bundle.

settings check FILE   merge FILE over the defaults of the rules (--policy-dir or
                      --policy-bundle) and print the problems the policy finds in it;
                      exit 0 when there are none, 1 when there are, 2 on an error
settings build FILE   write the settings bundle OPA serves (vir/config/data.json and
                      .manifest) into --out, and print its revision; the defaults come
                      from --defaults, --policy-bundle or --policy-dir
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sidecar.errors import StartupError
from sidecar.opa import bundle, settings
from sidecar.opa.command import find_binary
from sidecar.opa.entrypoint import SETTINGS_PROBLEMS_QUERY

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2
OPA_TIMEOUT_SECONDS = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="settings_command", required=True)
    check = commands.add_parser(
        "check", help="print the problems the policy finds in a settings file (exit 1 if any)"
    )
    check.add_argument("file", type=Path, help="the force's settings file (YAML or JSON)")
    _rules_arguments(check)
    build = commands.add_parser(
        "build", help="write the settings bundle OPA serves: the file over the defaults"
    )
    build.add_argument(
        "file", type=Path, nargs="?", help="the force's settings file (default: none)"
    )
    build.add_argument("--out", type=Path, required=True, help="bundle directory to write")
    build.add_argument(
        "--defaults",
        type=Path,
        help="the shipped defaults file (the chart's vir-settings-defaults.yaml), instead of"
        " those of --policy-bundle or --policy-dir",
    )
    _rules_arguments(build)


def _rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy-dir", type=Path, default=Path("policies"))
    parser.add_argument(
        "--policy-bundle", type=Path, help="a built rules bundle, instead of --policy-dir"
    )
    parser.add_argument("--opa-binary", default=None)


def run(args: argparse.Namespace) -> int:
    try:
        if args.settings_command == "build":
            return _build(args)
        return _check(args)
    except StartupError as error:
        print(f"vir-sidecar settings {args.settings_command}: {error}", file=sys.stderr)
        return EXIT_ERROR


def _build(args: argparse.Namespace) -> int:
    if args.defaults is not None:
        defaults = settings.load_file(args.defaults)
    elif args.policy_bundle is not None:
        defaults = settings.defaults_of_bundle(args.policy_bundle)
    else:
        defaults = settings.defaults_of_policy_dir(args.policy_dir)
    built = settings.write_bundle(settings.effective(defaults, args.file), args.out)
    print(f"{built.path} {built.revision}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    binary = find_binary(args.opa_binary, os.environ)
    with tempfile.TemporaryDirectory(prefix="vir-settings-") as work:
        rules = args.policy_bundle or _built_rules(args.policy_dir, Path(work), binary)
        merged = settings.effective(settings.defaults_of_bundle(rules), args.file)
        served = settings.write_bundle(merged, Path(work) / "settings")
        found = problems(binary, [rules, served.path])
    if found:
        noun = "problem" if len(found) == 1 else "problems"
        print(f"{args.file}: {len(found)} {noun}")
        for problem in found:
            print(f"  {problem}")
        return EXIT_PROBLEMS
    print(f"{args.file}: no problems; settings revision {served.revision}")
    return EXIT_OK


def _built_rules(policy_dir: Path, work: Path, binary: str) -> Path:
    return bundle.build(policy_dir, work / "vir-policy.tar.gz", opa_binary=binary).path


def problems(binary: str, bundles: Sequence[Path]) -> tuple[str, ...]:
    """The policy's settings problems over `bundles`, with `opa eval`."""
    command = [binary, "eval", "--format", "json"]
    for path in bundles:
        command += ["--bundle", str(path)]
    command.append(SETTINGS_PROBLEMS_QUERY)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=OPA_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise settings.SettingsError(f"cannot run {binary} eval: {error}") from error
    if result.returncode != 0:
        raise settings.SettingsError(f"opa eval failed: {result.stderr.strip()}")
    try:
        value = json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    except (ValueError, KeyError, IndexError) as error:
        raise settings.SettingsError(
            f"the policy defines no settings check ({SETTINGS_PROBLEMS_QUERY})"
        ) from error
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise settings.SettingsError(f"{SETTINGS_PROBLEMS_QUERY} is not a list of texts")
    return tuple(sorted(value))
