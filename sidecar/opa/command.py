"""Which `opa` binary runs, and the `opa run --server` command line every consumer uses."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sidecar.errors import StartupError

BINARY_ENV_VAR = "VIR_OPA_BINARY"
BUNDLED_BINARY = Path(".tools/bin/opa")


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


@dataclass(frozen=True)
class Verification:
    """The public key an OPA checks the bundle's signature with, and the key id it names."""

    key: Path
    key_id: str


def run_command(
    binary: str,
    *,
    addr: str,
    bundle: Path,
    verification: Verification | None = None,
    unix_socket_perm: str | None = "600",
    extra: Sequence[str] = (),
) -> list[str]:
    """`opa run --server` serving `bundle` (a built bundle file) on `addr`.

    `addr` is `unix:///path/opa.sock` or `host:port`. With `verification`, OPA refuses a
    bundle that is unsigned or whose files do not match its signature.
    """
    command = [binary, "run", "--server", "--addr", addr]
    if addr.startswith("unix://") and unix_socket_perm is not None:
        command += ["--unix-socket-perm", unix_socket_perm]
    command += ["--bundle", str(bundle)]
    if verification is not None:
        command += [
            "--verification-key",
            str(verification.key),
            "--verification-key-id",
            verification.key_id,
        ]
    command += ["--log-level", "error", "--skip-version-check", *extra]
    return command
