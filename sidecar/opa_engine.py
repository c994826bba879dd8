"""Evaluates the decision on an OPA server through opa-python-client's async client.

Every failure becomes an EngineError with a bounded `kind`, so callers and
metrics can tell a refused connection from a timeout or an undefined
decision. Nothing here can turn a failure into an allow.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from opa_client import AsyncOpaClient

from sidecar.errors import UnavailableError

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


class _OrjsonOpaClient(AsyncOpaClient):  # type: ignore[misc]
    """AsyncOpaClient with an orjson encoder and a keep-alive pool sized for concurrent checks."""

    def __init__(self, *args: Any, pool_size: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool_size = pool_size

    async def _init_session(self) -> None:
        self._connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            headers=self.headers,
            connector=self._connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            json_serialize=lambda value: orjson.dumps(value).decode(),
        )


class OpaEngine:
    """One shared client session to one OPA server."""

    def __init__(self, url: str, *, pool_size: int = 64) -> None:
        self._pool_size = pool_size
        self._client: _OrjsonOpaClient | None = None
        self.url = url

    async def connect(self, url: str | None = None) -> None:
        """Open the session, replacing any previous one (OPA may have moved port)."""
        await self.close()
        if url is not None:
            self.url = url
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"OPA URL must be http(s)://HOST:PORT, got {self.url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # retries=0: a retry with backoff would outlast the decision timeout;
        # the caller retries if it wants to.
        client = _OrjsonOpaClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            retries=0,
            timeout=30.0,
            pool_size=self._pool_size,
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
