"""Assembles and runs the sidecar: OPA, audit trail, metrics, health and the gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import grpc
import structlog
from grpc_health.v1 import health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from sidecar import policy_bundle
from sidecar.api import SERVICE_NAME, pb_grpc
from sidecar.audit import AuditError, AuditTrail, Pseudonymiser, create_dev_key, load_audit_key
from sidecar.config import Config
from sidecar.health import HealthReporter
from sidecar.metrics import create_metrics, serve_metrics
from sidecar.opa_engine import OpaEngine
from sidecar.opa_process import OpaStartError, OpaSupervisor, find_binary
from sidecar.service import CheckService, PolicyState

log = structlog.get_logger("vir.server")

PROBE_TIMEOUT_SECONDS = 1.0


class StartupError(RuntimeError):
    """The sidecar cannot start with this configuration."""


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


async def serve(config: Config) -> None:
    """Run until SIGTERM or SIGINT, then drain in-flight checks and stop."""
    metrics = create_metrics()
    key = _audit_key(config)
    audit = await AuditTrail.open(
        config.audit_dir,
        key,
        fsync=config.audit_fsync,
        max_file_bytes=config.audit_max_file_bytes,
    )
    if not config.audit_fsync:
        log.warning("audit fsync is off: decisions may be lost on a crash (tests only)")
    reporter = HealthReporter()
    await reporter.set_serving(False, "starting")
    engine = OpaEngine(config.opa_url or "http://127.0.0.1:1")
    policy = PolicyState()

    def set_revision(revision: str) -> None:
        policy.revision = revision
        metrics.set_policy_revision(revision)

    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
    )
    pb_grpc.add_AuthorizationServiceServicer_to_server(
        CheckService(
            engine=engine,
            audit=audit,
            pseudonymiser=Pseudonymiser(key),
            metrics=metrics,
            policy=policy,
            opa_timeout=config.opa_timeout,
            on_audit_failure=lambda: reporter.mark_down("audit write failed"),
        ),
        server,
    )
    health_pb2_grpc.add_HealthServicer_to_server(reporter.servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, "grpc.health.v1.Health", reflection.SERVICE_NAME), server
    )
    if server.add_insecure_port(config.listen) == 0:
        raise StartupError(f"cannot listen on {config.listen}")

    supervisor: OpaSupervisor | None = None
    if config.opa_url:
        set_revision(config.policy_revision or policy_bundle.revision(config.policy_dir))
        await engine.connect()
    else:

        async def is_ready(url: str) -> bool:
            await engine.connect(url)
            return await engine.probe(timeout=PROBE_TIMEOUT_SECONDS)

        async def on_ready(url: str, revision: str) -> None:
            set_revision(revision)
            await reporter.set_serving(True, "opa ready")

        async def on_down() -> None:
            await reporter.set_serving(False, "opa exited")

        supervisor = OpaSupervisor(
            binary=find_binary(config.opa_binary, os.environ),
            policy_dir=config.policy_dir,
            is_ready=is_ready,
            on_ready=on_ready,
            on_down=on_down,
        )
        await supervisor.start()

    serve_metrics(metrics, config.metrics_listen)
    await server.start()

    async def opa_up() -> bool:
        return await engine.probe(timeout=PROBE_TIMEOUT_SECONDS)

    async def audit_up() -> bool:
        return await audit.check_writable()

    watcher = asyncio.create_task(
        reporter.watch({"opa": opa_up, "audit": audit_up}, config.health_interval)
    )
    log.info(
        "serving",
        listen=config.listen,
        metrics=config.metrics_listen,
        opa=engine.url,
        policy_revision=policy.revision,
        audit_dir=str(config.audit_dir),
        audit_fsync=config.audit_fsync,
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    log.info("draining", grace_seconds=config.grace_period)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    await reporter.shut_down()
    await server.stop(config.grace_period)
    if supervisor is not None:
        await supervisor.stop()
    await engine.close()
    await audit.aclose()
    log.info("stopped")


def run(config: Config) -> int:
    try:
        asyncio.run(serve(config))
    except (StartupError, AuditError, OpaStartError, OSError, ValueError) as error:
        log.error("startup_failed", error=str(error))
        return 1
    return 0
