"""Who is calling: the identity in the client's TLS certificate, if any."""

from __future__ import annotations

import grpc


def caller_identity(context: grpc.aio.ServicerContext) -> str | None:
    """The client certificate's URI SAN (SPIFFE style), else its subject CN, else None."""
    auth: dict[str, list[bytes]] = context.auth_context()
    for san in auth.get("x509_subject_alternative_name", []):
        text = san.decode("utf-8", "replace")
        if "://" in text:
            return text
    for common_name in auth.get("x509_common_name", []):
        return common_name.decode("utf-8", "replace")
    return None
