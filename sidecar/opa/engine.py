"""Evaluates the decision on an OPA server through opa-python-client's async client.

Every failure becomes an EngineError with a bounded `kind`, so callers and
metrics can tell a refused connection from a timeout or an undefined
decision. Nothing here can turn a failure into an allow.

No decision is given from settings the policy has not passed. The first answer
that names a new set of bundles (OPA's provenance) has OPA asked, once, for the
policy's settings problems and the bundles' manifests; until that is done no
answer from those bundles is given, and if the policy finds a problem none ever
is: each fails as `settings_invalid`, naming the problems. Decisions themselves
never evaluate the checks.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

from sidecar.errors import UnavailableError
from sidecar.opa.client import Answer, DecisionClient
from sidecar.opa.endpoint import OpaEndpoint, parse_opa_url
from sidecar.opa.entrypoint import BUNDLES_PATH, DECISION_QUERY, SETTINGS_PROBLEMS_PATH
from sidecar.opa.peer import ExpectedPeer, ImpostorError
from sidecar.opa.revision import BundleRevisions, manifest_roots, policy_revision

log = structlog.get_logger("vir.opa")

# Probe input: the policy must define a decision for any input object, so an
# undefined answer here means the policy is not loaded.
PROBE_INPUT: dict[str, Any] = {"request": {}, "context": {"time": "2026-01-12T00:00:00Z"}}
# Sets of bundles whose settings check is remembered (a reload brings a new set).
VETTED_KEPT = 16
# Problems named in one error; the log names them all.
PROBLEMS_NAMED = 5


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


class SettingsRefused(EngineError):
    """The policy finds problems in the settings OPA serves: no decision is given from them."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("settings_invalid", describe_problems(problems))
        self.problems = problems


def describe_problems(problems: tuple[str, ...]) -> str:
    """The problems in one line, the first PROBLEMS_NAMED of them named."""
    shown = "; ".join(problems[:PROBLEMS_NAMED])
    more = len(problems) - PROBLEMS_NAMED
    noun = "problem" if len(problems) == 1 else "problems"
    return f"the policy settings have {len(problems)} {noun}: {shown}" + (
        f"; and {more} more" if more > 0 else ""
    )


@dataclass(frozen=True)
class Vetted:
    """What one set of bundles was found to be: its policy revision and settings problems."""

    revision: str
    problems: tuple[str, ...]


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


@dataclass(frozen=True)
class Evaluation:
    """A defined decision and the policy revision that made it ("unknown" if OPA names none)."""

    result: object
    revision: str


class OpaEngine:
    """One shared client session to one OPA server.

    For a unix socket, `peer` says who must be serving it (by default: a process of this
    user); every new pooled connection to anyone else fails as a connection error.
    `switch` moves to another OPA with no check failed or dropped: a check uses the
    session it started on, and the old session closes once its last check is answered.
    """

    def __init__(
        self,
        endpoint: OpaEndpoint | str,
        *,
        pool_size: int = 64,
        token: str | None = None,
        peer: ExpectedPeer | None = None,
        fallback_revision: str = "unknown",
    ) -> None:
        self._pool_size = pool_size
        self._token = token
        self._client: DecisionClient | None = None
        self.endpoint = parse_opa_url(endpoint) if isinstance(endpoint, str) else endpoint
        self._peer = peer
        self._fallback_revision = fallback_revision
        # The revision of the latest answer: what OPA serves now, as far as we know.
        self.revision: str | None = None
        self._in_flight: dict[DecisionClient, int] = {}
        self._retired: set[DecisionClient] = set()
        self._vetted: OrderedDict[BundleRevisions, Vetted] = OrderedDict()
        self._vetting: dict[BundleRevisions, asyncio.Future[Vetted]] = {}

    @property
    def url(self) -> str:
        return self.endpoint.url

    async def _open(self, endpoint: OpaEndpoint, peer: ExpectedPeer | None) -> DecisionClient:
        client = DecisionClient(endpoint, token=self._token, pool_size=self._pool_size, peer=peer)
        await client.open()
        return client

    async def connect(
        self, endpoint: OpaEndpoint | None = None, *, peer: ExpectedPeer | None = None
    ) -> None:
        """Open the session, replacing any previous one (a restarted OPA has a new socket)."""
        await self.close()
        if endpoint is not None:
            self.endpoint = endpoint
        if peer is not None:
            self._peer = peer
        self._client = await self._open(self.endpoint, self._peer)

    async def switch(
        self, endpoint: OpaEndpoint, *, peer: ExpectedPeer, timeout: float
    ) -> Evaluation | None:
        """Move to the OPA at `endpoint` if it answers with a decision, and return that
        probe's evaluation; otherwise stay, and return None. Raise SettingsRefused, and
        stay, if the policy finds problems in the settings that OPA serves."""
        client = await self._open(endpoint, peer)
        try:
            evaluation = await self._evaluate_on(client, PROBE_INPUT, timeout=timeout)
        except SettingsRefused:
            await client.close_connection()
            raise
        except EngineError:
            evaluation = None
        if evaluation is None or not _is_decision(evaluation.result):
            await client.close_connection()
            return None
        previous, self._client = self._client, client
        self.endpoint, self._peer = endpoint, peer
        self.revision = evaluation.revision
        if previous is not None:
            self._retired.add(previous)
            await self._close_if_idle(previous)
        return evaluation

    async def _close_if_idle(self, client: DecisionClient) -> None:
        if client in self._retired and not self._in_flight.get(client):
            self._retired.discard(client)
            self._in_flight.pop(client, None)
            await client.close_connection()

    async def close(self) -> None:
        for client in [*self._retired, *([self._client] if self._client else [])]:
            await client.close_connection()
        self._retired.clear()
        self._in_flight.clear()
        self._client = None

    async def evaluate(self, document: dict[str, Any], *, timeout: float) -> Evaluation:
        """The decision OPA computes for `document`, with the revision that computed it."""
        client = self._client
        if client is None:
            raise EngineError("not_connected", "no OPA session")
        self._in_flight[client] = self._in_flight.get(client, 0) + 1
        try:
            return await self._evaluate_on(client, document, timeout=timeout)
        finally:
            self._in_flight[client] -= 1
            await self._close_if_idle(client)

    async def _evaluate_on(
        self, client: DecisionClient, document: dict[str, Any], *, timeout: float
    ) -> Evaluation:
        try:
            async with asyncio.timeout(timeout):
                answer = await client.decide(document)
                if answer.defined:
                    vetted = await self._vetted_for(client, answer.bundles)
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
        if not answer.defined:
            raise EngineError("undefined", f"{DECISION_QUERY} is undefined")
        if client is self._client:
            self.revision = vetted.revision
        if vetted.problems:
            raise SettingsRefused(vetted.problems)
        return Evaluation(answer.result, vetted.revision)

    async def _vetted_for(self, client: DecisionClient, bundles: BundleRevisions) -> Vetted:
        """What the bundles of an answer were found to be; checked once per set of bundles.

        Concurrent checks wait for the one check of a new set. It goes on if they give up
        (the decision's time ran out), so that the next check finds it done.
        """
        vetted = self._vetted.get(bundles)
        if vetted is not None:
            return vetted
        vetting = self._vetting.get(bundles)
        if vetting is None:
            vetting = asyncio.ensure_future(self._vetted_now(client, bundles))
            self._vetting[bundles] = vetting
            vetting.add_done_callback(lambda done: self._vetting_done(bundles, done))
        return await asyncio.shield(vetting)

    async def _vetted_now(self, client: DecisionClient, bundles: BundleRevisions) -> Vetted:
        vetted, _ = await self._vet(client, bundles)
        return vetted

    def _vetting_done(self, bundles: BundleRevisions, vetting: asyncio.Future[Vetted]) -> None:
        self._vetting.pop(bundles, None)
        if vetting.cancelled() or vetting.exception() is not None:
            return  # the next answer from these bundles asks again
        self._vetted[bundles] = vetting.result()
        while len(self._vetted) > VETTED_KEPT:
            self._vetted.popitem(last=False)

    async def _vet(
        self, client: DecisionClient, bundles: BundleRevisions | None
    ) -> tuple[Vetted, BundleRevisions]:
        """Ask OPA for the settings problems and the bundles' manifests, from `bundles` (or
        from whichever bundles OPA serves now, if None); return them with those bundles."""
        problems = await client.read(SETTINGS_PROBLEMS_PATH)
        if bundles is None:
            bundles = problems.bundles
        manifests = await client.read(BUNDLES_PATH)
        for answer in (problems, manifests):
            if answer.bundles != bundles:
                # OPA moved to other bundles meanwhile: these are never answered for.
                raise EngineError("policy_changed", "OPA changed policy while it was checked")
        revision = policy_revision(bundles, manifest_roots(manifests.result))
        vetted = Vetted(revision or self._fallback_revision, _problems(problems))
        if vetted.problems:
            log.error(
                "policy_settings_refused",
                policy_revision=vetted.revision,
                problems=list(vetted.problems),
            )
        return vetted, bundles

    async def recheck_settings(self, *, timeout: float) -> None:
        """Check the settings OPA holds again, even from bundles already checked: an OPA not
        started by the sidecar may change a bundle's content without changing the revision
        it names. What is found replaces what was found before for those bundles; a check
        that cannot be made now (OPA busy reloading, slow, unreachable) leaves it, and the
        decisions and the health probe meet any such fault themselves."""
        client = self._client
        if client is None:
            return
        try:
            async with asyncio.timeout(timeout):
                vetted, bundles = await self._vet(client, None)
        except (TimeoutError, EngineError, aiohttp.ClientError, OSError, ValueError):
            return
        self._vetted[bundles] = vetted

    async def probe(self, *, timeout: float) -> bool:
        """True when OPA answers with a defined decision, i.e. the policy is loaded."""
        try:
            evaluation = await self.evaluate(PROBE_INPUT, timeout=timeout)
        except EngineError:
            return False
        return _is_decision(evaluation.result)


def _problems(answer: Answer) -> tuple[str, ...]:
    """The settings problems in OPA's answer; a problem too if the answer is not a list of
    messages, since then the settings were never checked."""
    if not answer.defined:
        return (f"the policy defines no settings check ({SETTINGS_PROBLEMS_PATH} is undefined)",)
    result = answer.result
    if not isinstance(result, list) or not all(isinstance(p, str) for p in result):
        return (f"the policy's settings check ({SETTINGS_PROBLEMS_PATH}) is not a list of texts",)
    return tuple(sorted(result))


def _is_decision(result: object) -> bool:
    return isinstance(result, dict) and isinstance(result.get("allow"), bool)
