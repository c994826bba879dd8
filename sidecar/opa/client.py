"""The one place that reaches inside opa-python-client.

AsyncOpaClient's public API has no unix-socket connector, no pool size and no JSON
encoder choice, and `query_rule` returns OPA's whole answer. The adapter overrides
`_init_session` (it must set `_connector` and `_session`, which `query_rule` then
uses) and asks for every document with `?provenance`, so the answer names the
revisions of the bundles that made it. tests/opa/test_client.py pins these library details: an
upgrade that changes them fails there first.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from opa_client import AsyncOpaClient

from sidecar.opa.endpoint import OpaEndpoint
from sidecar.opa.entrypoint import DECISION_PATH
from sidecar.opa.peer import ExpectedPeer, ImpostorError, verify_peer
from sidecar.opa.revision import BundleRevisions, bundle_revisions

KEEPALIVE_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """OPA's answer to a query: its result (None when undefined) and, from OPA's
    provenance, the revisions of the bundles it served it from."""

    defined: bool
    result: object
    bundles: BundleRevisions


class VerifiedUnixConnector(aiohttp.UnixConnector):
    """A unix socket connector that checks, on every new connection, who serves the socket."""

    def __init__(self, path: str, *, peer: ExpectedPeer, limit: int) -> None:
        super().__init__(path, limit=limit, keepalive_timeout=KEEPALIVE_SECONDS)
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


class DecisionClient(AsyncOpaClient):  # type: ignore[misc]
    """AsyncOpaClient with an orjson encoder, a keep-alive pool sized for concurrent checks,
    for unix sockets a connector that checks the peer, and a provenance-bearing query."""

    def __init__(
        self,
        endpoint: OpaEndpoint,
        *,
        token: str | None,
        pool_size: int,
        peer: ExpectedPeer | None,
    ) -> None:
        # retries=0: a retry with backoff would outlast the decision timeout;
        # the caller retries if it wants to.
        super().__init__(
            host=endpoint.host,
            port=endpoint.port or 80,
            ssl=endpoint.scheme == "https",
            token=token,
            retries=0,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        self._pool_size = pool_size
        self._unix: tuple[str, ExpectedPeer] | None = None
        if endpoint.socket_path is not None:
            self._unix = (endpoint.socket_path, peer or ExpectedPeer.same_user())

    async def _init_session(self) -> None:
        self._connector: aiohttp.BaseConnector
        if self._unix is not None:
            path, peer = self._unix
            self._connector = VerifiedUnixConnector(path, peer=peer, limit=self._pool_size)
        else:
            self._connector = aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS
            )
        self._session = aiohttp.ClientSession(
            headers=self.headers,
            connector=self._connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            json_serialize=lambda value: orjson.dumps(value).decode(),
        )

    async def open(self) -> None:
        await self._init_session()

    async def decide(self, document: dict[str, Any]) -> Answer:
        """POST the input to the decision rule; raise ValueError if the answer is not JSON."""
        return await self.read(DECISION_PATH, document)

    async def read(self, path: str, document: dict[str, Any] | None = None) -> Answer:
        """The document at `path` (such as vir/authz/decision) for input `document`."""
        answer = await self.query_rule(
            input_data=document or {},
            package_path=path,
            query_params={"provenance": True},
        )
        if not isinstance(answer, dict):
            raise ValueError("OPA's answer is not a JSON object")
        return Answer(
            defined="result" in answer,
            result=answer.get("result"),
            bundles=bundle_revisions(answer.get("provenance")),
        )
