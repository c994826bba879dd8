"""Keyed pseudonyms for victim identifiers, so the trail never holds them in clear."""

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PSEUDONYM_PREFIX = "hmac-sha256:"
_KDF_INFO = b"vir-sidecar audit victim pseudonym v1"


def derive_pseudonym_key(audit_key: bytes) -> bytes:
    """HKDF-SHA256 of the audit key, so pseudonyms and record MACs use separate keys."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(audit_key)


class Pseudonymiser:
    """Maps a victim identifier to "hmac-sha256:<hex>", the same output for the same input.

    Anyone holding the audit key can compute the pseudonym of a known identifier and so find
    the requests about that victim; without the key the pseudonym reveals nothing.
    """

    def __init__(self, audit_key: bytes) -> None:
        self._key = derive_pseudonym_key(audit_key)

    def pseudonymise(self, victim_id: str) -> str | None:
        """The pseudonym of `victim_id`, or None when it is empty."""
        if not victim_id:
            return None
        digest = hmac.new(self._key, victim_id.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return PSEUDONYM_PREFIX + digest.hexdigest()
