"""Loading the audit key, and making a development key.

The one accepted format is hex text: at least 64 hex digits (32 bytes), with surrounding
whitespace ignored, in a file or in the VIR_AUDIT_KEY environment variable. Hex rules out
passphrases typed by hand, and `openssl rand -hex 32` makes a good key.
"""

import secrets
from collections.abc import Mapping
from pathlib import Path

from sidecar.audit.durable_io import create_file
from sidecar.audit.errors import AuditKeyError

KEY_ENV_VAR = "VIR_AUDIT_KEY"
MIN_KEY_BYTES = 32


def parse_audit_key(text: str, *, source: str) -> bytes:
    """Decode hex key text; `source` names where it came from in error messages."""
    digits = text.strip()
    if len(digits) < 2 * MIN_KEY_BYTES:
        raise AuditKeyError(
            f"audit key from {source} is too short: need at least {2 * MIN_KEY_BYTES} hex "
            f"digits ({MIN_KEY_BYTES} bytes), got {len(digits)} characters"
        )
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise AuditKeyError(
            f"audit key from {source} is not hex text (make one with `openssl rand -hex 32`)"
        ) from None


def load_audit_key(key_file: Path | None, env: Mapping[str, str]) -> bytes:
    """Return the audit key from `key_file` if given, else from VIR_AUDIT_KEY in `env`."""
    if key_file is not None:
        try:
            text = key_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditKeyError(f"cannot read audit key file {key_file}: {exc}") from None
        return parse_audit_key(text, source=f"file {key_file}")
    text = env.get(KEY_ENV_VAR, "")
    if not text.strip():
        raise AuditKeyError(f"no audit key: give a key file or set {KEY_ENV_VAR}")
    return parse_audit_key(text, source=f"environment variable {KEY_ENV_VAR}")


def create_dev_key(path: Path) -> bytes:
    """Return the development key in `path`, creating it (mode 0600) if it does not exist.

    For local runs only: the caller should warn loudly that the key is not managed.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(MIN_KEY_BYTES)
    try:
        create_file(path, key.hex().encode("ascii") + b"\n")
    except FileExistsError:
        return load_audit_key(path, {})
    return key
