"""Caller identity from the client certificate: a CN never stands in for a URI SAN."""

from __future__ import annotations

from typing import Any

import pytest

from sidecar.caller import caller_identity

SPIFFE = "spiffe://force.example/records"


class Context:
    def __init__(self, auth: dict[str, list[bytes]]) -> None:
        self._auth = auth

    def auth_context(self) -> dict[str, list[bytes]]:
        return self._auth


def identity(**auth: list[bytes]) -> str | None:
    context: Any = Context(auth)
    return caller_identity(context)


def test_uri_san_is_the_identity() -> None:
    assert (
        identity(
            x509_subject_alternative_name=[b"records.force.example", SPIFFE.encode()],
            x509_common_name=[b"records"],
        )
        == SPIFFE
    )


def test_plain_cn_is_the_identity_when_there_is_no_uri_san() -> None:
    assert identity(x509_common_name=[b"records-system"]) == "records-system"


@pytest.mark.parametrize("common_name", [SPIFFE, "https://records.force.example"])
def test_cn_that_looks_like_a_uri_is_no_identity(common_name: str) -> None:
    assert identity(x509_common_name=[common_name.encode()]) is None
    assert (
        identity(
            x509_subject_alternative_name=[b"records.force.example"],
            x509_common_name=[common_name.encode()],
        )
        is None
    )


def test_no_certificate_is_no_identity() -> None:
    assert identity() is None
