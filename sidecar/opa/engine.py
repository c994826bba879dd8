"""Evaluates the decision on an OPA server through opa-python-client's async client.

Every failure becomes an EngineError with a bounded `kind`, so callers and
metrics can tell a refused connection from a timeout or an undefined
decision. Nothing here can turn a failure into an allow.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import orjson
from opa_client import AsyncOpaClient

from sidecar.errors import UnavailableError
from sidecar.opa.endpoint import OpaEndpoint, parse_opa_url
from sidecar.opa.peer import ExpectedPeer, ImpostorError, verify_peer

DECISION_PACKAGE = "vir.authz"
DECISION_RULE = "decision"

# Probe input: the policy must define a decision for any input object, so an
# undefined answer here means the policy is not loaded.
_PROBE_INPUT: dict[str, Any] = {"request": {}, "context": {"time": "2026-01-12T00:00:00Z"}}


class EngineError(UnavailableError):
    """OPA could not give a decision."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class EngineTimeout(EngineError):
    """OPA did not answer within the time allowed."""

    def __init__(self, seconds: float) -> None:
        super().__init__("timeout", f"no answer within {seconds * 1000:.0f} ms")


class _VerifiedUnixConnector(aiohttp.UnixConnector):
    """A unix socket connector that checks, on every new connection, who serves the socket."""

    def __init__(self, path: str, *, peer: ExpectedPeer, limit: int) -> None:
        super().__init__(path, limit=limit, keepalive_timeout=30)
        self._peer = peer

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
        protocol = await super()._create_connection(req, traces, timeout)
        transport = protocol.transport
        try:
            sock: socket.socket | None = transport.get_extra_info("socket") if transport else None
            if sock is None:
                raise ImpostorError("no socket to check the peer of")
            verify_peer(sock, self._peer)
        except OSError:
            if transport is not None:
                transport.close()
            raise
        return protocol


class _OrjsonOpaClient(AsyncOpaClient):  # type: ignore[misc]
    """AsyncOpaClient with an orjson encoder, a keep-alive pool sized for concurrent checks,
    and for unix sockets a connector that checks the peer."""

    def __init__(
        self, *args: Any, pool_size: int, unix: tuple[str, ExpectedPeer] | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._pool_size = pool_size
        self._unix = unix

    async def _init_session(self) -> None:
        self._connector: aiohttp.BaseConnector
        if self._unix is not None:
            path, peer = self._unix
            self._connector = _VerifiedUnixConnector(path, peer=peer, limit=self._pool_size)
        else:
            self._connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            headers=self.headers,
            connector=self._connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            json_serialize=lambda value: orjson.dumps(value).decode(),
        )


def _impostor_in(error: BaseException) -> ImpostorError | None:
    """The ImpostorError behind `error`, which aiohttp may have wrapped."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, ImpostorError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class OpaEngine:
    """One shared client session to one OPA server.

    For a unix socket, `peer` says who must be serving it (by default: a process of this
    user); every new pooled connection to anyone else fails as a connection error.
    """

    def __init__(
        self,
        endpoint: OpaEndpoint | str,
        *,
        pool_size: int = 64,
        token: str | None = None,
        peer: ExpectedPeer | None = None,
    ) -> None:
        self._pool_size = pool_size
        self._token = token
        self._client: _OrjsonOpaClient | None = None
        self.endpoint = parse_opa_url(endpoint) if isinstance(endpoint, str) else endpoint
        self._peer = peer

    @property
    def url(self) -> str:
        return self.endpoint.url

    async def connect(
        self, endpoint: OpaEndpoint | None = None, *, peer: ExpectedPeer | None = None
    ) -> None:
        """Open the session, replacing any previous one (a restarted OPA has a new socket)."""
        await self.close()
        if endpoint is not None:
            self.endpoint = endpoint
        if peer is not None:
            self._peer = peer
        target = self.endpoint
        unix = None
        if target.socket_path is not None:
            unix = (target.socket_path, self._peer or ExpectedPeer.same_user())
        # retries=0: a retry with backoff would outlast the decision timeout;
        # the caller retries if it wants to.
        client = _OrjsonOpaClient(
            host=target.host,
            port=target.port or 80,
            ssl=target.scheme == "https",
            token=self._token,
            retries=0,
            timeout=30.0,
            pool_size=self._pool_size,
            unix=unix,
        )
        await client._init_session()
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close_connection()
            self._client = None

    async def evaluate(self, document: dict[str, Any], *, timeout: float) -> object:
        """Return the decision document OPA computes for `document`."""
        if self._client is None:
            raise EngineError("not_connected", "no OPA session")
        try:
            async with asyncio.timeout(timeout):
                answer = await self._client.query_rule(
                    input_data=document, package_path=DECISION_PACKAGE, rule_name=DECISION_RULE
                )
        except TimeoutError as error:
            raise EngineTimeout(timeout) from error
        except aiohttp.ClientResponseError as error:
            raise EngineError("http_status", f"OPA answered HTTP {error.status}") from error
        except (aiohttp.ClientError, OSError) as error:
            impostor = _impostor_in(error)
            if impostor is not None:
                raise EngineError("impostor", str(impostor)) from error
            raise EngineError("connection", type(error).__name__) from error
        except ValueError as error:
            raise EngineError("bad_response", "OPA's answer is not JSON") from error
        if not isinstance(answer, dict) or "result" not in answer:
            raise EngineError("undefined", f"data.{DECISION_PACKAGE}.{DECISION_RULE} is undefined")
        return answer["result"]

    async def probe(self, *, timeout: float) -> bool:
        """True when OPA answers with a defined decision, i.e. the policy is loaded."""
        try:
            result = await self.evaluate(_PROBE_INPUT, timeout=timeout)
        except EngineError:
            return False
        return isinstance(result, dict) and isinstance(result.get("allow"), bool)
