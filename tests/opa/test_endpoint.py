"""Which OPA addresses the sidecar accepts: unix sockets, https, and http on loopback only."""

from __future__ import annotations

import pytest

from sidecar.opa.endpoint import BadOpaUrl, parse_opa_url


@pytest.mark.parametrize(
    ("url", "scheme", "target"),
    [
        ("unix:///run/vir/opa.sock", "unix", "unix:///run/vir/opa.sock"),
        ("https://opa.force.internal", "https", "https://opa.force.internal:443"),
        ("https://opa.force.internal:8443", "https", "https://opa.force.internal:8443"),
        ("http://127.0.0.1:8181", "http", "http://127.0.0.1:8181"),
        ("http://localhost:8181", "http", "http://localhost:8181"),
        ("http://[::1]:8181", "http", "http://[::1]:8181"),
    ],
)
def test_accepted(url: str, scheme: str, target: str) -> None:
    endpoint = parse_opa_url(url)
    assert endpoint.scheme == scheme
    assert endpoint.url == target
    assert endpoint.is_plain_http == (scheme == "http")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.1.2.3:8181", "plain http to 10.1.2.3 is refused"),
        ("http://opa.force.internal:8181", "plain http to opa.force.internal is refused"),
        ("http://0.0.0.0:8181", "plain http to 0.0.0.0 is refused"),
        ("unix://run/opa.sock", "must be absolute"),
        ("opa:8181", "expected unix:///PATH or https://"),
        ("https://opa/v1/data", "no path"),
        ("https://opa:port", "bad port"),
    ],
)
def test_refused(url: str, why: str) -> None:
    with pytest.raises(BadOpaUrl, match=why):
        parse_opa_url(url)
