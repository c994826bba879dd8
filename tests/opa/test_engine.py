"""The OPA client wrapper against a stand-in HTTP server: every failure is an EngineError."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sidecar.opa.endpoint import BadOpaUrl, unix_endpoint
from sidecar.opa.engine import EngineError, EngineTimeout, OpaEngine
from sidecar.opa.peer import ExpectedPeer

DECISION = {"allow": False, "reasons": [], "advice": [], "obligations": []}
REVISION = "sha256:" + "ab" * 32
PROVENANCE = {"version": "1.0.0", "bundles": {"/run/vir-policy.tar.gz": {"revision": REVISION}}}
Handler = Callable[[web.Request], Any]


class StandInOpa:
    def __init__(self) -> None:
        self.handler: Handler = self.defined
        self.bodies: list[Any] = []
        self.queries: list[str] = []

    async def defined(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.queries.append(request.query_string)
        return web.json_response({"result": DECISION, "provenance": PROVENANCE})

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        result: web.StreamResponse = await self.handler(request)
        return result


@pytest.fixture
async def opa() -> AsyncIterator[tuple[StandInOpa, OpaEngine]]:
    stand_in = StandInOpa()
    app = web.Application()
    app.router.add_post("/v1/data/vir/authz/decision", stand_in.dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    engine = OpaEngine(f"http://127.0.0.1:{port}")
    await engine.connect()
    yield stand_in, engine
    await engine.close()
    await runner.cleanup()


async def test_defined_decision_is_returned_and_input_is_posted(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    evaluation = await engine.evaluate({"request": {"request_id": "r1"}}, timeout=1)
    assert evaluation.result == DECISION
    assert stand_in.bodies == [{"input": {"request": {"request_id": "r1"}}}]


async def test_the_revision_is_the_one_opa_names_in_its_provenance(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    assert (await engine.evaluate({}, timeout=1)).revision == REVISION
    assert stand_in.queries == ["provenance=True"]


async def test_without_a_bundle_revision_the_fallback_is_reported(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa

    async def no_bundle(request: web.Request) -> web.Response:
        return web.json_response({"result": DECISION, "provenance": {"version": "1.0.0"}})

    stand_in.handler = no_bundle
    assert (await engine.evaluate({}, timeout=1)).revision == "unknown"


async def test_undefined_decision_is_an_error(opa: tuple[StandInOpa, OpaEngine]) -> None:
    stand_in, engine = opa

    async def undefined(request: web.Request) -> web.Response:
        return web.json_response({})

    stand_in.handler = undefined
    with pytest.raises(EngineError) as error:
        await engine.evaluate({}, timeout=1)
    assert error.value.kind == "undefined"


async def test_server_error_is_an_error(opa: tuple[StandInOpa, OpaEngine]) -> None:
    stand_in, engine = opa

    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"code": "internal_error"}, status=500)

    stand_in.handler = failing
    with pytest.raises(EngineError) as error:
        await engine.evaluate({}, timeout=1)
    assert error.value.kind == "http_status"


async def test_non_json_answer_is_an_error(opa: tuple[StandInOpa, OpaEngine]) -> None:
    stand_in, engine = opa

    async def garbage(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    stand_in.handler = garbage
    with pytest.raises(EngineError) as error:
        await engine.evaluate({}, timeout=1)
    assert error.value.kind == "bad_response"


async def test_slow_answer_times_out_within_the_bound(opa: tuple[StandInOpa, OpaEngine]) -> None:
    stand_in, engine = opa

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"result": DECISION})

    stand_in.handler = slow
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EngineTimeout):
        await engine.evaluate({}, timeout=0.05)
    assert loop.time() - started < 1


async def test_refused_connection_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OpaEngine(f"http://127.0.0.1:{port}")
    await engine.connect()
    try:
        with pytest.raises(EngineError) as error:
            await engine.evaluate({}, timeout=1)
        assert error.value.kind == "connection"
        assert await engine.probe(timeout=1) is False
    finally:
        await engine.close()


async def test_evaluate_before_connect_is_an_error() -> None:
    with pytest.raises(EngineError) as error:
        await OpaEngine("http://127.0.0.1:1").evaluate({}, timeout=1)
    assert error.value.kind == "not_connected"


async def test_probe_needs_a_decision_with_a_boolean_allow(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    assert await engine.probe(timeout=1) is True

    async def shapeless(request: web.Request) -> web.Response:
        return web.json_response({"result": {"allow": "yes"}})

    stand_in.handler = shapeless
    assert await engine.probe(timeout=1) is False


@pytest.mark.parametrize(
    "url", ["opa:8181", "ftp://127.0.0.1:1", "http://", "http://10.0.0.5:8181", "unix://opa.sock"]
)
def test_bad_url_is_refused(url: str) -> None:
    with pytest.raises(BadOpaUrl):
        OpaEngine(url)


@pytest.fixture
async def unix_opa(tmp_path: Path) -> AsyncIterator[tuple[StandInOpa, str]]:
    """The stand-in OPA on a unix socket, served by this very process."""
    stand_in = StandInOpa()
    app = web.Application()
    app.router.add_post("/v1/data/vir/authz/decision", stand_in.dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    path = str(tmp_path / "opa.sock")
    site = web.UnixSite(runner, path)
    await site.start()
    yield stand_in, path
    await runner.cleanup()


async def test_unix_socket_served_by_the_expected_process_answers(
    unix_opa: tuple[StandInOpa, str],
) -> None:
    _stand_in, path = unix_opa
    engine = OpaEngine(f"unix://{path}", peer=ExpectedPeer.child(os.getpid()))
    await engine.connect()
    try:
        assert (await engine.evaluate({"request": {}}, timeout=1)).result == DECISION
    finally:
        await engine.close()


@pytest.mark.parametrize("who", ["another pid", "another user"])
async def test_unix_socket_served_by_anyone_else_is_refused_before_a_byte_is_sent(
    unix_opa: tuple[StandInOpa, str], who: str
) -> None:
    stand_in, path = unix_opa
    peer = (
        ExpectedPeer(uid=os.getuid(), pid=os.getpid() + 1)
        if who == "another pid"
        else ExpectedPeer(uid=os.getuid() + 1)
    )
    engine = OpaEngine(f"unix://{path}", peer=peer)
    await engine.connect()
    try:
        with pytest.raises(EngineError) as error:
            await engine.evaluate({"request": {}}, timeout=1)
        assert error.value.kind == "impostor"
        assert await engine.probe(timeout=1) is False
    finally:
        await engine.close()
    assert stand_in.bodies == []


async def test_unix_socket_defaults_to_a_peer_of_the_same_user(
    unix_opa: tuple[StandInOpa, str],
) -> None:
    _, path = unix_opa
    engine = OpaEngine(f"unix://{path}")
    await engine.connect()
    try:
        assert await engine.probe(timeout=1) is True
    finally:
        await engine.close()


async def test_bearer_token_is_sent_with_every_query(tmp_path: Path) -> None:
    seen: list[str | None] = []

    async def decision(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"result": DECISION})

    app = web.Application()
    app.router.add_post("/v1/data/vir/authz/decision", decision)
    runner = web.AppRunner(app)
    await runner.setup()
    path = str(tmp_path / "opa.sock")
    await web.UnixSite(runner, path).start()
    engine = OpaEngine(f"unix://{path}", token="s3cret-token")
    await engine.connect()
    try:
        await engine.evaluate({}, timeout=1)
        await engine.evaluate({}, timeout=1)
    finally:
        await engine.close()
        await runner.cleanup()
    assert seen == ["Bearer s3cret-token", "Bearer s3cret-token"]


async def test_switch_moves_new_checks_and_lets_a_check_in_flight_finish(tmp_path: Path) -> None:
    """A check started on the old OPA is answered by it; later checks go to the new one."""
    release = asyncio.Event()

    async def old(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"result": DECISION, "provenance": _bundle("old")})

    async def new(request: web.Request) -> web.Response:
        return web.json_response({"result": DECISION, "provenance": _bundle("new")})

    runners = []
    paths = []
    for name, handler in (("old", old), ("new", new)):
        app = web.Application()
        app.router.add_post("/v1/data/vir/authz/decision", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        path = str(tmp_path / f"{name}.sock")
        await web.UnixSite(runner, path).start()
        runners.append(runner)
        paths.append(path)
    me = ExpectedPeer.child(os.getpid())
    engine = OpaEngine(f"unix://{paths[0]}", peer=me)
    await engine.connect()
    try:
        in_flight = asyncio.create_task(engine.evaluate({}, timeout=5))
        await asyncio.sleep(0.05)
        switched = await engine.switch(unix_endpoint(paths[1]), peer=me, timeout=1)
        assert switched is not None
        assert switched.revision == "new"
        assert (await engine.evaluate({}, timeout=1)).revision == "new"
        release.set()
        assert (await in_flight).revision == "old"
    finally:
        await engine.close()
        for runner in runners:
            await runner.cleanup()


async def test_switch_to_an_opa_without_the_policy_stays(opa: tuple[StandInOpa, OpaEngine]) -> None:
    stand_in, engine = opa
    before = engine.endpoint

    async def undefined(request: web.Request) -> web.Response:
        return web.json_response({})

    stand_in.handler = undefined
    assert await engine.switch(before, peer=ExpectedPeer.same_user(), timeout=1) is None
    assert engine.endpoint == before
    stand_in.handler = stand_in.defined
    assert (await engine.evaluate({}, timeout=1)).result == DECISION  # the old session is kept


def _bundle(revision: str) -> dict[str, Any]:
    return {"bundles": {"vir-policy.tar.gz": {"revision": revision}}}
