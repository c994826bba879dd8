"""The OPA client wrapper against a stand-in HTTP server: every failure is an EngineError, and
no decision is given from settings the policy has not passed."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sidecar.opa.endpoint import BadOpaUrl, OpaEndpoint, unix_endpoint
from sidecar.opa.engine import (
    PROBLEMS_NAMED,
    EngineError,
    EngineTimeout,
    OpaEngine,
    SettingsRefused,
    describe_problems,
)
from sidecar.opa.entrypoint import BUNDLES_PATH, DECISION_PATH, SETTINGS_PROBLEMS_PATH
from sidecar.opa.peer import ExpectedPeer

DECISION = {"allow": False, "reasons": [], "advice": [], "obligations": []}
RULES = "sha256:" + "ab" * 32
SETTINGS = "sha256:" + "cd" * 32
REVISION = f"rules@{RULES}+settings@{SETTINGS}"
PROVENANCE = {
    "version": "1.0.0",
    "bundles": {
        "/run/vir-policy.tar.gz": {"revision": RULES},
        "/run/vir-settings": {"revision": SETTINGS},
    },
}
MANIFESTS = {
    "/run/vir-policy.tar.gz": {"manifest": {"roots": ["vir/authz", "vir/defaults"]}},
    "/run/vir-settings": {"manifest": {"roots": ["vir/config"]}},
}
Handler = Callable[[web.Request], Any]


class StandInOpa:
    """The decision at `handler`, and the settings check and manifests of the same bundles."""

    def __init__(self) -> None:
        self.handler: Handler = self.defined
        self.bodies: list[Any] = []
        self.queries: list[str] = []
        self.provenance: dict[str, Any] = PROVENANCE
        self.problems: object = []
        self.checks = 0

    async def defined(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.queries.append(request.query_string)
        return web.json_response({"result": DECISION, "provenance": self.provenance})

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        result: web.StreamResponse = await self.handler(request)
        return result

    async def settings_problems(self, request: web.Request) -> web.Response:
        self.checks += 1
        answer: dict[str, Any] = {"provenance": self.provenance}
        if self.problems is not None:
            answer["result"] = self.problems
        return web.json_response(answer)

    async def _problems_route(self, request: web.Request) -> web.Response:
        return await self.settings_problems(request)  # looked up per request: tests replace it

    async def manifests(self, request: web.Request) -> web.Response:
        return web.json_response({"result": MANIFESTS, "provenance": self.provenance})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"/v1/data/{DECISION_PATH}", self.dispatch)
        app.router.add_post(f"/v1/data/{SETTINGS_PROBLEMS_PATH}", self._problems_route)
        app.router.add_post(f"/v1/data/{BUNDLES_PATH}", self.manifests)
        return app


@pytest.fixture
async def opa() -> AsyncIterator[tuple[StandInOpa, OpaEngine]]:
    stand_in = StandInOpa()
    app = stand_in.app()
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
    assert engine.revision == REVISION


async def test_without_a_bundle_revision_the_fallback_is_reported(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa

    stand_in.provenance = {"version": "1.0.0"}
    assert (await engine.evaluate({}, timeout=1)).revision == "unknown"


async def test_the_settings_are_checked_once_for_each_set_of_bundles(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    await asyncio.gather(*(engine.evaluate({}, timeout=1) for _ in range(20)))
    assert stand_in.checks == 1
    assert await engine.probe(timeout=1) is True
    assert stand_in.checks == 1
    # A reload brings new settings: they are checked before any decision from them is given.
    stand_in.provenance = {
        "bundles": {**PROVENANCE["bundles"], "/run/vir-settings": {"revision": "s2"}}
    }
    assert (await engine.evaluate({}, timeout=1)).revision == f"rules@{RULES}+settings@s2"
    assert stand_in.checks == 2


async def test_a_recheck_checks_the_settings_of_the_same_bundles_again(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    assert (await engine.evaluate({}, timeout=1)).result == DECISION
    assert stand_in.checks == 1
    # Same revisions, new content with a problem: refused only once checked again.
    stand_in.problems = ["maximum_clearance_days is 0: it must be greater than 0"]
    assert (await engine.evaluate({}, timeout=1)).result == DECISION
    await engine.recheck_settings(timeout=1)
    assert stand_in.checks == 2
    with pytest.raises(SettingsRefused, match="maximum_clearance_days is 0"):
        await engine.evaluate({}, timeout=1)
    assert await engine.probe(timeout=1) is False
    assert stand_in.checks == 2
    # Mended under the same revision: the next recheck lets decisions through again.
    stand_in.problems = []
    await engine.recheck_settings(timeout=1)
    assert (await engine.evaluate({}, timeout=1)).result == DECISION


async def test_a_recheck_that_cannot_be_made_keeps_what_was_found(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    assert (await engine.evaluate({}, timeout=1)).result == DECISION

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    stand_in.settings_problems = broken  # type: ignore[method-assign]
    await engine.recheck_settings(timeout=1)
    assert (await engine.evaluate({}, timeout=1)).result == DECISION
    assert await engine.probe(timeout=1) is True


@pytest.mark.parametrize(
    ("problems", "named"),
    [
        (
            ['organisation_aliases["gmp"] names unknown organisation "greater_manchster"'],
            'organisation_aliases["gmp"] names unknown organisation "greater_manchster"',
        ),
        (None, "the policy defines no settings check"),
        ({"not": "a list"}, "is not a list of texts"),
        ([1, 2], "is not a list of texts"),
    ],
)
async def test_no_decision_is_given_from_settings_with_a_problem(
    opa: tuple[StandInOpa, OpaEngine], problems: object, named: str
) -> None:
    stand_in, engine = opa
    stand_in.problems = problems
    for _ in range(3):
        with pytest.raises(SettingsRefused) as refused:
            await engine.evaluate({}, timeout=1)
        assert refused.value.kind == "settings_invalid"
        assert named in str(refused.value)
    assert await engine.probe(timeout=1) is False
    assert stand_in.checks == 1
    assert engine.revision == REVISION  # what OPA serves, though it decides nothing


def test_the_problems_are_named_in_one_line() -> None:
    many = tuple(f"problem {n}" for n in range(PROBLEMS_NAMED + 2))
    assert describe_problems(many[:1]) == "the policy settings have 1 problem: problem 0"
    described = describe_problems(many)
    assert described.startswith(f"the policy settings have {len(many)} problems: problem 0;")
    assert f"problem {PROBLEMS_NAMED - 1}; and 2 more" in described
    assert f"problem {PROBLEMS_NAMED}" not in described


async def test_a_policy_change_during_the_check_gives_no_decision_and_is_checked_again(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    before = stand_in.settings_problems

    async def moved_on(request: web.Request) -> web.Response:
        stand_in.provenance = {"bundles": {"/run/other": {"revision": "x"}}}
        return await before(request)

    stand_in.settings_problems = moved_on  # type: ignore[method-assign]
    with pytest.raises(EngineError) as error:
        await engine.evaluate({}, timeout=1)
    assert error.value.kind == "policy_changed"
    stand_in.settings_problems = before  # type: ignore[method-assign]
    assert (await engine.evaluate({}, timeout=1)).revision == "unknown"  # /run/other has no roots


async def test_a_check_that_fails_is_asked_again_by_the_next_decision(
    opa: tuple[StandInOpa, OpaEngine],
) -> None:
    stand_in, engine = opa
    before = stand_in.settings_problems

    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"code": "internal_error"}, status=500)

    stand_in.settings_problems = failing  # type: ignore[method-assign]
    with pytest.raises(EngineError) as error:
        await engine.evaluate({}, timeout=1)
    assert error.value.kind == "http_status"
    stand_in.settings_problems = before  # type: ignore[method-assign]
    assert (await engine.evaluate({}, timeout=1)).revision == REVISION


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
    runner = web.AppRunner(stand_in.app())
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
        return web.json_response({"result": DECISION if "decision" in request.path else []})

    app = web.Application()
    for path in (DECISION_PATH, SETTINGS_PROBLEMS_PATH, BUNDLES_PATH):
        app.router.add_post(f"/v1/data/{path}", decision)
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
    # The decision, the settings check and the manifests, then the second decision.
    assert seen == ["Bearer s3cret-token"] * 4


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
        app = _single_bundle_opa(handler, name)
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


@pytest.fixture
async def other_opa() -> AsyncIterator[tuple[StandInOpa, OpaEndpoint]]:
    """A second stand-in OPA, for the engine to be switched to."""
    stand_in = StandInOpa()
    runner = web.AppRunner(stand_in.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield stand_in, OpaEndpoint("http", host="127.0.0.1", port=runner.addresses[0][1])
    await runner.cleanup()


async def test_switch_to_an_opa_without_the_policy_stays(
    opa: tuple[StandInOpa, OpaEngine], other_opa: tuple[StandInOpa, OpaEndpoint]
) -> None:
    stand_in, engine = opa
    other, other_endpoint = other_opa
    before = engine.endpoint

    async def undefined(request: web.Request) -> web.Response:
        return web.json_response({})

    other.handler = undefined
    assert await engine.switch(other_endpoint, peer=ExpectedPeer.same_user(), timeout=1) is None
    assert engine.endpoint == before != other_endpoint
    answered = len(stand_in.bodies)
    assert (await engine.evaluate({}, timeout=1)).result == DECISION  # the old session is kept
    assert len(stand_in.bodies) == answered + 1


async def test_switch_to_an_opa_whose_settings_have_a_problem_is_refused_and_stays(
    opa: tuple[StandInOpa, OpaEngine], other_opa: tuple[StandInOpa, OpaEndpoint]
) -> None:
    stand_in, engine = opa
    other, other_endpoint = other_opa
    before = engine.endpoint
    assert (await engine.evaluate({}, timeout=1)).revision == REVISION
    other.provenance = {
        "bundles": {**PROVENANCE["bundles"], "/run/vir-settings": {"revision": "s2"}}
    }
    other.problems = ["maximum_clearance_days is 0: it must be greater than 0"]
    with pytest.raises(SettingsRefused, match="maximum_clearance_days is 0"):
        await engine.switch(other_endpoint, peer=ExpectedPeer.same_user(), timeout=1)
    assert engine.endpoint == before != other_endpoint
    answered = len(stand_in.bodies)
    assert (await engine.evaluate({}, timeout=1)).revision == REVISION
    assert len(stand_in.bodies) == answered + 1


def _bundle(revision: str) -> dict[str, Any]:
    return {"bundles": {"vir-policy.tar.gz": {"revision": revision}}}


def _single_bundle_opa(decision: Handler, revision: str) -> web.Application:
    """An OPA serving rules and settings in one bundle, named `revision`, with no problems."""

    async def problems(request: web.Request) -> web.Response:
        return web.json_response({"result": [], "provenance": _bundle(revision)})

    async def manifests(request: web.Request) -> web.Response:
        manifest = {"roots": ["vir"], "revision": revision}
        return web.json_response(
            {
                "result": {"vir-policy.tar.gz": {"manifest": manifest}},
                "provenance": _bundle(revision),
            }
        )

    app = web.Application()
    app.router.add_post(f"/v1/data/{DECISION_PATH}", decision)
    app.router.add_post(f"/v1/data/{SETTINGS_PROBLEMS_PATH}", problems)
    app.router.add_post(f"/v1/data/{BUNDLES_PATH}", manifests)
    return app
