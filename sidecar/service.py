"""The Check RPC: validate, ask OPA, write the audit record, then answer.

The audit record is durable before any answer leaves, including refusals;
a failed audit write turns the answer into UNAVAILABLE, never an allow.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import structlog
from google.protobuf.message import DecodeError

from sidecar.api import SERVICE_NAME, pb, pb_grpc
from sidecar.audit import AuditTrail, AuditWriteError, Pseudonymiser, build_record
from sidecar.caller import caller_identity
from sidecar.clearance_keys import ClearanceKeys
from sidecar.decision import MalformedDecision, parse_decision, to_response
from sidecar.formats import category_label
from sidecar.metrics import Metrics
from sidecar.opa.engine import EngineError, EngineTimeout, OpaEngine
from sidecar.opa_input import build_input
from sidecar.rich_errors import bad_request_status
from sidecar.validation import InvalidRequest, validate

log = structlog.get_logger("vir.check")

# Time kept back from the caller's deadline to write the audit record and answer.
DEADLINE_MARGIN_SECONDS = 0.005

# gRPC itself reads requests up to this many times --max-message-bytes, so that the sidecar
# can refuse and audit an oversize request; beyond it gRPC refuses before any handler runs.
TRANSPORT_LIMIT_FACTOR = 4
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024


@dataclass
class PolicyState:
    """The revision of the policy OPA serves now, for checks OPA does not decide."""

    revision: str = "none"


@dataclass(frozen=True)
class Attempt:
    """The facts of one Check attempt, fixed when it arrives."""

    request: pb.CheckRequest | None  # None when the bytes were refused before decoding
    decision_id: str
    time: datetime
    caller: str | None
    started: float  # time.perf_counter() on arrival


@dataclass(frozen=True)
class Answer:
    """A decision the policy gave: the caller gets `response`."""

    response: pb.CheckResponse
    codes: tuple[str, ...]
    facts: Mapping[str, object]
    opa_seconds: float
    # The revision of the policy that decided, as OPA reported it.
    policy_revision: str
    error: None = None

    @property
    def outcome(self) -> str:
        return "allow" if self.response.allow else "deny"


@dataclass(frozen=True)
class Refusal:
    """No decision: the caller gets `status` with `detail`, the record gets `error`."""

    outcome: str  # invalid or error
    status: grpc.StatusCode
    detail: str
    error: str
    codes: tuple[str, ...] = ()
    facts: None = None
    opa_seconds: float = 0.0
    # The malformed field and what is wrong with it, for the BadRequest detail.
    invalid_field: str | None = None
    invalid_problem: str = ""
    # No policy decided: the record names the revision in force.
    policy_revision: None = None


Verdict = Answer | Refusal


class CheckService(pb_grpc.AuthorizationServiceServicer):  # type: ignore[misc]
    def __init__(
        self,
        *,
        engine: OpaEngine,
        audit: AuditTrail,
        pseudonymiser: Pseudonymiser,
        metrics: Metrics,
        policy: PolicyState,
        opa_timeout: float,
        on_audit_failure: Callable[[], None],
        clearance_keys: ClearanceKeys | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self._max_message_bytes = max_message_bytes
        self._clearance_keys = clearance_keys
        self._engine = engine
        self._audit = audit
        self._pseudonymiser = pseudonymiser
        self._metrics = metrics
        self._policy = policy
        self._opa_timeout = opa_timeout
        self._on_audit_failure = on_audit_failure
        self._orphaned_writes: set[asyncio.Future[None]] = set()

    async def Check(
        self, request: pb.CheckRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckResponse:
        return await self._answer(request, None, context)

    async def CheckBytes(self, data: bytes, context: grpc.aio.ServicerContext) -> pb.CheckResponse:
        """Check as served (see add_to_server): the sidecar decodes the request itself, so
        that an oversize or undecodable request is refused, audited, counted and logged too.
        """
        if len(data) > self._max_message_bytes:
            refusal = Refusal(
                "invalid",
                status=grpc.StatusCode.INVALID_ARGUMENT,
                detail=f"request is larger than {self._max_message_bytes} bytes",
                error="invalid_argument:too_large",
            )
            return await self._answer(None, refusal, context)
        try:
            request = pb.CheckRequest.FromString(data)
        except DecodeError:
            refusal = Refusal(
                "invalid",
                status=grpc.StatusCode.INVALID_ARGUMENT,
                detail="request is not a well-formed vir.authz.v1.CheckRequest",
                error="invalid_argument:undecodable",
            )
            return await self._answer(None, refusal, context)
        return await self._answer(request, None, context)

    async def _answer(
        self,
        request: pb.CheckRequest | None,
        refusal: Refusal | None,
        context: grpc.aio.ServicerContext,
    ) -> pb.CheckResponse:
        """Decide `request` unless already refused, audit the verdict, then answer."""
        attempt = Attempt(
            request=request,
            decision_id=str(uuid.uuid4()),
            time=datetime.now(UTC),
            caller=caller_identity(context),
            started=time.perf_counter(),
        )
        self._metrics.checks_in_flight.inc()
        try:
            verdict: Verdict
            try:
                if refusal is None:
                    assert request is not None
                    verdict = await self._decide(attempt, request, context)
                else:
                    verdict = refusal
            except asyncio.CancelledError:
                # The caller went away mid-evaluation: the attempt is still recorded.
                cancelled = Refusal(
                    "error", grpc.StatusCode.CANCELLED, "caller went away", "cancelled"
                )
                self._record_in_background(attempt, cancelled)
                raise
            audit_started = time.perf_counter()
            try:
                await asyncio.shield(self._record(attempt, verdict))
            except AuditWriteError as error:
                self._audit_failed(attempt, error)
                verdict = Refusal(
                    "error",
                    grpc.StatusCode.UNAVAILABLE,
                    "audit trail unavailable: no decision given",
                    "audit_write_failed",
                )
            audit_seconds = time.perf_counter() - audit_started
            self._metrics.audit_duration.observe(audit_seconds)
            self._observe(attempt, verdict, audit_seconds)
            if isinstance(verdict, Answer):
                return verdict.response
            if verdict.invalid_field is not None:
                await context.abort_with_status(
                    bad_request_status(
                        verdict.invalid_field, verdict.invalid_problem, verdict.detail
                    )
                )
            await context.abort(verdict.status, verdict.detail)
            raise AssertionError("context.abort returned")  # pragma: no cover
        finally:
            self._metrics.checks_in_flight.dec()

    async def _decide(
        self, attempt: Attempt, request: pb.CheckRequest, context: grpc.aio.ServicerContext
    ) -> Verdict:
        try:
            validate(request)
        except InvalidRequest as invalid:
            return Refusal(
                "invalid",
                grpc.StatusCode.INVALID_ARGUMENT,
                str(invalid),
                f"invalid_argument:{invalid.field}",
                invalid_field=invalid.field,
                invalid_problem=invalid.problem,
            )
        timeout, bound_by_deadline = self._evaluation_timeout(context)
        evaluation_started = time.perf_counter()
        try:
            keys = self._clearance_keys.current() if self._clearance_keys else None
            evaluation = await self._engine.evaluate(
                build_input(request, now=attempt.time, caller=attempt.caller, clearance_keys=keys),
                timeout=timeout,
            )
            decision = parse_decision(evaluation.result)
        except EngineTimeout as error:
            status = (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if bound_by_deadline
                else grpc.StatusCode.UNAVAILABLE
            )
            return self._engine_fault(error.kind, status, str(error))
        except EngineError as error:
            return self._engine_fault(error.kind, grpc.StatusCode.UNAVAILABLE, str(error))
        except MalformedDecision as error:
            return self._engine_fault("malformed", grpc.StatusCode.UNAVAILABLE, str(error))
        opa_seconds = time.perf_counter() - evaluation_started
        self._metrics.opa_duration.observe(opa_seconds)
        return Answer(
            response=to_response(
                decision,
                decision_id=attempt.decision_id,
                policy_revision=evaluation.revision,
                evaluated_at=attempt.time,
            ),
            codes=tuple(decision.reason_codes),
            facts=decision.facts,
            opa_seconds=opa_seconds,
            policy_revision=evaluation.revision,
        )

    def _evaluation_timeout(self, context: grpc.aio.ServicerContext) -> tuple[float, bool]:
        remaining = context.time_remaining()
        if remaining is None or remaining - DEADLINE_MARGIN_SECONDS >= self._opa_timeout:
            return self._opa_timeout, False
        return max(remaining - DEADLINE_MARGIN_SECONDS, 0.0), True

    def _engine_fault(self, kind: str, status: grpc.StatusCode, detail: str) -> Refusal:
        self._metrics.opa_errors.labels(kind=kind).inc()
        return Refusal(
            "error",
            status,
            f"policy engine unavailable ({detail}): no decision given",
            f"opa_{kind}",
        )

    def _record(self, attempt: Attempt, verdict: Verdict) -> asyncio.Future[None]:
        """Queue the audit record of `verdict`; the future is done once it is durable.

        A future, not a coroutine, so that shielding the wait creates no task.
        """
        record = build_record(
            decision_id=attempt.decision_id,
            request=attempt.request,
            outcome=verdict.outcome,
            codes=verdict.codes,
            caller=attempt.caller,
            policy_revision=verdict.policy_revision or self._policy.revision,
            time=attempt.time,
            pseudonymiser=self._pseudonymiser,
            error=verdict.error,
            facts=verdict.facts,
        )
        return self._audit.submit(record)

    def _record_in_background(self, attempt: Attempt, verdict: Verdict) -> None:
        try:
            write = self._record(attempt, verdict)
        except AuditWriteError as error:
            self._audit_failed(attempt, error)
            return
        self._orphaned_writes.add(write)
        write.add_done_callback(lambda done: self._orphaned_write_done(attempt, done))

    def _orphaned_write_done(self, attempt: Attempt, write: asyncio.Future[None]) -> None:
        self._orphaned_writes.discard(write)
        if not write.cancelled() and (error := write.exception()) is not None:
            self._audit_failed(attempt, error)

    def _audit_failed(self, attempt: Attempt, error: BaseException) -> None:
        self._metrics.audit_failures.inc()
        self._on_audit_failure()
        log.error("audit_write_failed", decision_id=attempt.decision_id, error=str(error))

    def _observe(self, attempt: Attempt, verdict: Verdict, audit_seconds: float) -> None:
        total_seconds = time.perf_counter() - attempt.started
        request = attempt.request
        category = category_label(request)
        self._metrics.decisions.labels(outcome=verdict.outcome, category=category).inc()
        for code in verdict.codes:
            self._metrics.decision_reasons.labels(code=code).inc()
        self._metrics.check_duration.observe(total_seconds)
        log.info(
            "check",
            decision_id=attempt.decision_id,
            request_id=request.request_id[:128] if request is not None else None,
            caller=attempt.caller,
            outcome=verdict.outcome,
            category=category,
            codes=verdict.codes,
            error=verdict.error,
            total_ms=round(total_seconds * 1000, 3),
            opa_ms=round(verdict.opa_seconds * 1000, 3),
            audit_ms=round(audit_seconds * 1000, 3),
        )


def add_to_server(service: CheckService, server: grpc.aio.Server) -> None:
    """Serve `service` as vir.authz.v1.AuthorizationService, handing Check the raw bytes.

    The same registration as the generated add_AuthorizationServiceServicer_to_server, but
    without a request deserializer: gRPC would otherwise answer an undecodable request
    itself, with UNKNOWN and no audit record.
    """
    handlers = {
        "Check": grpc.unary_unary_rpc_method_handler(
            service.CheckBytes,
            request_deserializer=None,
            response_serializer=pb.CheckResponse.SerializeToString,
        )
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


def transport_limit(max_message_bytes: int) -> int:
    """The grpc.max_receive_message_length to set for a sidecar limit of `max_message_bytes`."""
    return TRANSPORT_LIMIT_FACTOR * max_message_bytes
