"""Who is calling: the identity in the client's TLS certificate, if any."""

from __future__ import annotations

import grpc

URI_MARK = "://"


def caller_identity(context: grpc.aio.ServicerContext) -> str | None:
    """The client certificate's URI SAN (SPIFFE style), else its subject CN, else None.

    A CN that looks like a URI is not an identity: anyone a CA will issue a certificate
    for can choose their CN, so a CN must never stand in for an allow-listed URI SAN.
    """
    auth: dict[str, list[bytes]] = context.auth_context()
    for san in auth.get("x509_subject_alternative_name", []):
        text = san.decode("utf-8", "replace")
        if URI_MARK in text:
            return text
    for common_name in auth.get("x509_common_name", []):
        text = common_name.decode("utf-8", "replace")
        return None if URI_MARK in text else text
    return None
