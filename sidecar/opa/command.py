"""Which `opa` binary runs, and the `opa run --server` command line every consumer uses."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sidecar.errors import StartupError

BINARY_ENV_VAR = "VIR_OPA_BINARY"
BUNDLED_BINARY = Path(".tools/bin/opa")
# The name OPA gives the rules bundle it loads through its bundle plugin (a signed bundle).
RULES_BUNDLE_NAME = "rules"
# How long an OPA with a configured bundle waits for it before it gives up and exits: a
# bundle it refuses (unsigned, altered) stops it, as a refused bundle on the command line does.
READY_TIMEOUT_SECONDS = 10
# Go's garbage collector target for OPA, unless GOGC is set already. Each decision allocates
# a few thousand small objects, all garbage at its end; collecting a quarter as often as
# Go's default (100) cost about 20% less CPU per decision in `make bench`'s direct OPA, for
# about 40 MiB more memory.
OPA_GOGC = "400"


class OpaStartError(StartupError):
    """The OPA binary could not be found or did not become ready."""


def find_binary(
    configured: str | None = None,
    env: Mapping[str, str] = os.environ,
    cwd: Path | None = None,
) -> str:
    """--opa-binary, then VIR_OPA_BINARY, then .tools/bin/opa under `cwd`, then opa on PATH."""
    for candidate in (configured, env.get(BINARY_ENV_VAR)):
        if candidate and candidate.strip():
            return candidate.strip()
    local = (cwd or Path.cwd()) / BUNDLED_BINARY
    if local.is_file() and os.access(local, os.X_OK):
        return str(local.resolve())
    found = shutil.which("opa")
    if found is None:
        raise OpaStartError(
            f"no opa binary: run 'make tools', set {BINARY_ENV_VAR} or pass --opa-binary"
        )
    return found


def opa_environment(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment OPA runs with: `base`, with GOGC set to OPA_GOGC unless it is set."""
    environment = dict(base)
    environment.setdefault("GOGC", OPA_GOGC)
    return environment


@dataclass(frozen=True)
class Verification:
    """The public key an OPA checks the rules bundle's signature with, the key id the
    signature names, and its algorithm."""

    key: Path
    key_id: str
    algorithm: str = "RS256"


def verification_config(rules_bundle: Path, verification: Verification) -> dict[str, object]:
    """OPA configuration that loads `rules_bundle` through OPA's bundle plugin, which refuses
    it unless it is signed by `verification`'s key and unaltered.

    Not `--verification-key`: that applies to every bundle on the command line, and the
    settings bundle beside the rules is the operator's own file, not signed.
    """
    return {
        "bundles": {
            RULES_BUNDLE_NAME: {
                "resource": rules_bundle.resolve().as_uri(),
                "signing": {"keyid": verification.key_id},
            }
        },
        "keys": {
            verification.key_id: {
                "algorithm": verification.algorithm,
                "key": verification.key.read_text(encoding="utf-8"),
            }
        },
    }


def write_verification_config(path: Path, rules_bundle: Path, verification: Verification) -> Path:
    """Write verification_config as OPA's --config-file at `path` (mode 0600)."""
    text = json.dumps(verification_config(rules_bundle, verification), indent=2)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as config:
        config.write(text)
    return path


def run_command(
    binary: str,
    *,
    addr: str,
    bundles: Sequence[Path],
    config_file: Path | None = None,
    unix_socket_perm: str | None = "600",
    extra: Sequence[str] = (),
) -> list[str]:
    """`opa run --server` serving `bundles` (built bundle files or directories) on `addr`.

    `addr` is `unix:///path/opa.sock` or `host:port`. With `config_file` (such as
    write_verification_config's), OPA also loads the bundles configured there, and exits if
    they are not loaded within READY_TIMEOUT_SECONDS.
    """
    command = [binary, "run", "--server", "--addr", addr]
    if addr.startswith("unix://") and unix_socket_perm is not None:
        command += ["--unix-socket-perm", unix_socket_perm]
    if config_file is not None:
        command += ["--config-file", str(config_file)]
        command += ["--ready-timeout", str(READY_TIMEOUT_SECONDS)]
    command += ["--bundle", *(str(bundle) for bundle in bundles)]
    command += ["--log-level", "error", "--skip-version-check", *extra]
    return command
