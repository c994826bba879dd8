"""Pins the opa-python-client behaviour sidecar.opa.client relies on.

The adapter overrides a private method and reads private attributes of
AsyncOpaClient. If an upgrade renames or reshapes them, these tests fail before
the sidecar does.
"""

from __future__ import annotations

import inspect
from typing import Any

import aiohttp
from aiohttp import web
from opa_client import AsyncOpaClient

from sidecar.opa.client import DecisionClient
from sidecar.opa.endpoint import parse_opa_url
from sidecar.opa.entrypoint import BUNDLES_PATH, DECISION_PATH, SETTINGS_PROBLEMS_PATH


def test_the_library_still_has_the_hooks_the_adapter_overrides() -> None:
    assert inspect.iscoroutinefunction(AsyncOpaClient._init_session)
    assert inspect.iscoroutinefunction(AsyncOpaClient.close_connection)
    parameters = inspect.signature(AsyncOpaClient.query_rule).parameters
    assert list(parameters)[1:] == ["input_data", "package_path", "rule_name", "query_params"]


def test_the_library_sets_session_and_connector_in_init() -> None:
    client = AsyncOpaClient(host="127.0.0.1", port=1, retries=0)
    assert client._session is None
    assert client._connector is None
    for read_by_the_adapter in ("headers", "timeout", "root_url"):
        assert hasattr(client, read_by_the_adapter)


async def test_query_rule_posts_through_the_session_the_adapter_made() -> None:
    """query_rule must use self._session (ours: orjson, pool, peer check), POST the input
    to /v1/data/<decision path> and pass query parameters on."""
    seen: list[tuple[str, str, Any]] = []

    async def decision(request: web.Request) -> web.Response:
        seen.append((request.path, request.query_string, await request.json()))
        provenance = {"bundles": {"rules": {"revision": "r1"}, "settings": {"revision": "s1"}}}
        return web.json_response({"result": {"allow": True}, "provenance": provenance})

    app = web.Application()
    for path in (DECISION_PATH, SETTINGS_PROBLEMS_PATH, BUNDLES_PATH):
        app.router.add_post(f"/v1/data/{path}", decision)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = DecisionClient(
        parse_opa_url(f"http://127.0.0.1:{port}"), token="t", pool_size=3, peer=None
    )
    await client.open()
    try:
        assert isinstance(client._session, aiohttp.ClientSession)
        assert isinstance(client._connector, aiohttp.TCPConnector)
        assert client._connector.limit == 3
        answer = await client.decide({"x": 1})
        assert client._session._connector is client._connector
        await client.read(SETTINGS_PROBLEMS_PATH)
        await client.read(BUNDLES_PATH)
    finally:
        await client.close_connection()
        await runner.cleanup()
    assert answer.defined
    assert answer.result == {"allow": True}
    assert answer.bundles == (("rules", "r1"), ("settings", "s1"))
    assert seen == [
        (f"/v1/data/{DECISION_PATH}", "provenance=True", {"input": {"x": 1}}),
        (f"/v1/data/{SETTINGS_PROBLEMS_PATH}", "provenance=True", {"input": {}}),
        (f"/v1/data/{BUNDLES_PATH}", "provenance=True", {"input": {}}),
    ]
