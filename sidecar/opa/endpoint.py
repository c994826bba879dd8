"""Where OPA is: a unix socket, HTTPS, or (tests only) plain HTTP on loopback."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

UNIX_PREFIX = "unix://"


class BadOpaUrl(ValueError):
    """An OPA URL the sidecar will not use."""


@dataclass(frozen=True)
class OpaEndpoint:
    """A parsed OPA address: `socket_path` for unix sockets, else scheme, host and port."""

    scheme: str  # unix, https or http
    host: str = "localhost"
    port: int = 0
    socket_path: str | None = None

    @property
    def url(self) -> str:
        if self.socket_path is not None:
            return UNIX_PREFIX + self.socket_path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def is_plain_http(self) -> bool:
        return self.scheme == "http"


def unix_endpoint(path: str) -> OpaEndpoint:
    return OpaEndpoint("unix", socket_path=path)


def is_loopback_host(host: str) -> bool:
    """True for localhost or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_opa_url(url: str) -> OpaEndpoint:
    """`unix:///path/to/sock`, `https://host[:port]`, or `http://` to a loopback host only.

    Plain HTTP anywhere else would let anyone on the path forge OPA's answers, so it is
    refused; on loopback it is accepted for tests, and the sidecar warns about it.
    """
    if url.startswith(UNIX_PREFIX):
        path = url[len(UNIX_PREFIX) :]
        if not path.startswith("/"):
            raise BadOpaUrl(f"unix socket path must be absolute (unix:///run/opa.sock): {url!r}")
        return unix_endpoint(path)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadOpaUrl(f"expected unix:///PATH or https://HOST[:PORT], got {url!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise BadOpaUrl(f"expected no path, query or fragment, got {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise BadOpaUrl(f"bad port in {url!r}") from error
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise BadOpaUrl(
            f"plain http to {parts.hostname} is refused: anyone on the network path could"
            " answer for OPA; use https:// (with --opa-token-file) or a unix:// socket"
        )
    return OpaEndpoint(parts.scheme, host=parts.hostname, port=port)
