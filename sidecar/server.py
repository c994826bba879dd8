"""Assembles and runs the sidecar: OPA, audit trail, metrics, health and the gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

import grpc
import structlog
import uvloop
from grpc_health.v1 import health_pb2_grpc

from sidecar import reflection
from sidecar.api import SERVICE_NAME
from sidecar.audit import AuditError, AuditTrail, Pseudonymiser, create_dev_key, load_audit_key
from sidecar.clearance_keys import ClearanceKeys
from sidecar.config import Config
from sidecar.errors import StartupError
from sidecar.health import HealthReporter
from sidecar.metrics import create_metrics, serve_metrics
from sidecar.opa.command import Verification, find_binary
from sidecar.opa.endpoint import OpaEndpoint
from sidecar.opa.engine import PROBE_INPUT, EngineError, OpaEngine, SettingsRefused
from sidecar.opa.peer import ExpectedPeer
from sidecar.opa.settings import SettingsError
from sidecar.opa.supervisor import BundleSource, OpaSupervisor
from sidecar.service import CheckService, PolicyState, add_to_server, transport_limit

log = structlog.get_logger("vir.server")

PROBE_TIMEOUT_SECONDS = 1.0
# Each health probe's time limit. A dependency that hangs (an audit disk that blocks
# every write) turns health NOT_SERVING within --health-interval plus this.
HEALTH_PROBE_TIMEOUT_SECONDS = 0.9


def _audit_key(config: Config) -> bytes:
    if config.audit_key_file is None and "VIR_AUDIT_KEY" not in os.environ and config.dev:
        key_path = config.audit_dir.parent / "dev-audit.key"
        log.warning(
            "DEVELOPMENT AUDIT KEY IN USE",
            key_file=str(key_path),
            detail="an audit trail signed with a key kept beside it proves nothing;"
            " set --audit-key-file or VIR_AUDIT_KEY in production",
        )
        return create_dev_key(key_path)
    return load_audit_key(config.audit_key_file, os.environ)


def _opa_token(config: Config) -> str | None:
    if config.opa_token_file is None:
        return None
    token = config.opa_token_file.read_text(encoding="utf-8").strip()
    if not token:
        raise StartupError(f"--opa-token-file {config.opa_token_file} is empty")
    return token


def bind(server: grpc.aio.Server, config: Config) -> int:
    """Listen with TLS (mTLS when a client CA is set), or in plain text on loopback only."""
    if config.tls_cert is None or config.tls_key is None:
        if config.insecure:
            log.warning(
                "INSECURE: gRPC without TLS",
                listen=config.listen,
                detail="any process that reaches this address can ask about victims",
            )
        return int(server.add_insecure_port(config.listen))
    client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
    credentials = grpc.ssl_server_credentials(
        [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )
    return int(server.add_secure_port(config.listen, credentials))


def _warn_about_weakened_settings(config: Config) -> None:
    if not config.audit_fsync:
        log.warning("audit fsync is off: decisions may be lost on a crash (tests only)")
    if config.clearance_keys is None:
        log.warning(
            "clearance tokens are not verified",
            detail="without --clearance-keys the sidecar accepts clearances as recorded by the"
            " caller; configure the forces' signing keys in production",
        )


def _bundle_source(config: Config) -> BundleSource:
    verification = None
    if config.bundle_verification_key is not None:
        verification = Verification(
            config.bundle_verification_key, config.bundle_verification_key_id
        )
    if config.policy_bundle is not None:
        return BundleSource(
            bundle_file=config.policy_bundle,
            verification=verification,
            settings_file=config.policy_settings,
        )
    return BundleSource(policy_dir=config.policy_dir, settings_file=config.policy_settings)


async def _start_opa(
    config: Config,
    engine: OpaEngine,
    reporter: HealthReporter,
    set_revision: Callable[[str], None],
) -> OpaSupervisor | None:
    """Connect to --opa-url, or start and supervise our own OPA; return its supervisor."""
    if config.opa_url:
        if engine.endpoint.is_plain_http:
            log.warning(
                "OPA over plain http",
                opa=engine.url,
                detail="accepted on loopback for tests only; any local process that binds"
                " the port answers for OPA: use a unix:// socket or https://",
            )
        await engine.connect()
        await _refuse_bad_settings(engine)
        return None

    async def switch_to(endpoint: OpaEndpoint, peer: ExpectedPeer) -> str | None:
        try:
            evaluation = await engine.switch(endpoint, peer=peer, timeout=PROBE_TIMEOUT_SECONDS)
        except SettingsRefused as refused:
            raise SettingsError(refused.detail) from refused
        return evaluation.revision if evaluation else None

    async def on_ready(revision: str) -> None:
        set_revision(revision)
        await reporter.set_serving(True, "opa ready")

    async def on_down(why: str) -> None:
        await reporter.set_serving(False, why)

    async def probe() -> bool:
        return await engine.probe(timeout=PROBE_TIMEOUT_SECONDS)

    supervisor = OpaSupervisor(
        binary=find_binary(config.opa_binary, os.environ),
        source=_bundle_source(config),
        switch_to=switch_to,
        on_ready=on_ready,
        on_down=on_down,
        probe=probe,
    )
    await supervisor.start()
    return supervisor


async def _refuse_bad_settings(engine: OpaEngine) -> None:
    """Fail the start if the OPA at --opa-url serves settings the policy finds problems in.

    An OPA that does not answer yet is no reason to stop: health stays NOT_SERVING until it
    does, and no decision is given from settings with a problem whenever they come.
    """
    try:
        await engine.evaluate(PROBE_INPUT, timeout=PROBE_TIMEOUT_SECONDS)
    except SettingsRefused as refused:
        raise SettingsError(refused.detail) from refused
    except EngineError as error:
        log.warning("opa_not_answering_at_start", opa=engine.url, error=str(error))


async def serve(config: Config) -> None:
    """Run until SIGTERM or SIGINT, then drain in-flight checks and stop."""
    _warn_about_weakened_settings(config)
    async with contextlib.AsyncExitStack() as cleanup:
        metrics = create_metrics()
        key = _audit_key(config)
        clearance_keys = ClearanceKeys(config.clearance_keys) if config.clearance_keys else None
        audit = await AuditTrail.open(
            config.audit_dir,
            key,
            fsync=config.audit_fsync,
            max_file_bytes=config.audit_max_file_bytes,
            accept_damaged_tail=config.audit_accept_damaged_tail,
        )
        cleanup.push_async_callback(audit.aclose)
        metrics.watch_audit(audit)
        reporter = HealthReporter(on_change=metrics.set_serving)
        await reporter.set_serving(False, "starting")
        engine = OpaEngine(
            config.opa_url or "unix:///nonexistent/opa.sock",  # replaced once OPA is started
            token=_opa_token(config),
            fallback_revision=config.policy_revision or "unknown",
        )
        cleanup.push_async_callback(engine.close)
        policy = PolicyState()

        def set_revision(revision: str) -> None:
            policy.revision = revision
            metrics.set_policy_revision(revision)

        server = grpc.aio.server(
            options=[("grpc.max_receive_message_length", transport_limit(config.max_message_bytes))]
        )
        add_to_server(
            CheckService(
                engine=engine,
                audit=audit,
                pseudonymiser=Pseudonymiser(key),
                metrics=metrics,
                policy=policy,
                opa_timeout=config.opa_timeout,
                on_audit_failure=lambda: reporter.mark_down("audit write failed"),
                clearance_keys=clearance_keys,
                max_message_bytes=config.max_message_bytes,
            ),
            server,
        )
        health_pb2_grpc.add_HealthServicer_to_server(reporter.servicer, server)
        reflection.enable(server, (SERVICE_NAME, "grpc.health.v1.Health"))
        if bind(server, config) == 0:
            raise StartupError(f"cannot listen on {config.listen}")

        supervisor = await _start_opa(config, engine, reporter, set_revision)
        if supervisor is not None:
            cleanup.push_async_callback(supervisor.stop)
        serve_metrics(metrics, config.metrics_listen)
        await server.start()
        cleanup.push_async_callback(server.stop, config.grace_period)

        async def opa_up() -> bool:
            up = await engine.probe(timeout=HEALTH_PROBE_TIMEOUT_SECONDS)
            # A remote OPA may move to another bundle at any time; so may ours, on reload.
            if engine.revision is not None and engine.revision != policy.revision:
                set_revision(engine.revision)
            return up

        watcher = asyncio.create_task(
            reporter.watch(
                {"opa": opa_up, "audit": audit.check_writable},
                config.health_interval,
                timeout=HEALTH_PROBE_TIMEOUT_SECONDS,
            )
        )
        # The settings OPA holds are checked afresh every health interval (two queries, a
        # few ms of OPA's CPU), so settings that change under an unchanged revision are
        # refused by the next decision or health probe after it.
        rechecker = asyncio.create_task(
            _recheck_settings(engine, config.health_interval), name="settings-recheck"
        )
        log.info(
            "serving",
            listen=config.listen,
            metrics=config.metrics_listen,
            opa=engine.url,
            policy_revision=policy.revision,
            audit_dir=str(config.audit_dir),
            audit_fsync=config.audit_fsync,
            clearance_keys=str(config.clearance_keys) if config.clearance_keys else None,
        )
        if supervisor is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, supervisor.request_reload)
        await _wait_for_stop_signal()

        log.info("draining", grace_seconds=config.grace_period)
        for task in (watcher, rechecker):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await reporter.shut_down()
        # Leaving the block stops, in order: the gRPC server (draining in-flight checks),
        # OPA, the OPA session and the audit trail.
    log.info("stopped")


async def _recheck_settings(engine: OpaEngine, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await engine.recheck_settings(timeout=HEALTH_PROBE_TIMEOUT_SECONDS)


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def run(config: Config) -> int:
    try:
        uvloop.run(serve(config))
    except (StartupError, AuditError, OSError, ValueError) as error:
        log.error("startup_failed", error=str(error))
        return 1
    return 0
