"""The JWKS of clearance-signing keys, re-read when its file changes.

The key set travels to OPA inside each decision's input, so the policy sees
exactly the keys the sidecar holds: no process that can reach OPA can swap
them, and an OPA restart leaves no window without them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import structlog

from sidecar.errors import StartupError

log = structlog.get_logger("vir.clearance_keys")

SUPPORTED_KEY_TYPES = frozenset({"EC", "RSA"})


class ClearanceKeysError(StartupError, ValueError):
    """The JWKS file cannot be used."""


def parse_jwks(text: str, source: str) -> str:
    """Check `text` is a JWKS of public EC or RSA keys; return it compactly serialised."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ClearanceKeysError(f"{source} is not JSON: {error}") from error
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ClearanceKeysError(f"{source} has no keys: expected a JWKS {{'keys': [...]}}")
    for index, key in enumerate(keys):
        if not isinstance(key, dict) or key.get("kty") not in SUPPORTED_KEY_TYPES:
            raise ClearanceKeysError(f"{source}: keys[{index}] is not an EC or RSA JWK")
        if "d" in key:
            raise ClearanceKeysError(f"{source}: keys[{index}] holds a private key")
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


class ClearanceKeys:
    """Holds the current JWKS; `current()` re-reads the file at most once per `interval`."""

    def __init__(self, path: Path, *, interval: float = 1.0) -> None:
        self._path = path
        self._interval = interval
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._jwks = ""
        self._load()

    def _file_stamp(self) -> tuple[int, int]:
        status = os.stat(self._path)
        return status.st_mtime_ns, status.st_size

    def _load(self) -> None:
        stamp = self._file_stamp()
        self._jwks = parse_jwks(self._path.read_text(encoding="utf-8"), str(self._path))
        self._stamp = stamp

    def current(self) -> str:
        """The JWKS as a JSON string; a bad new file keeps the last good keys and is logged."""
        now = time.monotonic()
        if now - self._checked >= self._interval:
            self._checked = now
            try:
                if self._file_stamp() != self._stamp:
                    self._load()
                    log.info("clearance_keys_reloaded", path=str(self._path))
            except (OSError, ClearanceKeysError) as error:
                log.error("clearance_keys_reload_failed", error=str(error))
        return self._jwks
