"""gRPC health: SERVING only while OPA answers with the policy loaded and the audit trail writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from grpc_health.v1 import health, health_pb2

from sidecar.api import SERVICE_NAME

log = structlog.get_logger("vir.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthReporter:
    """Owns the health servicer and keeps it in step with the sidecar's dependencies."""

    def __init__(self, on_change: Callable[[bool], None] | None = None) -> None:
        self.servicer = health.aio.HealthServicer()
        self._serving: bool | None = None
        self._on_change = on_change

    async def set_serving(self, serving: bool, why: str) -> None:
        if serving == self._serving:
            return
        self._serving = serving
        status = SERVING if serving else NOT_SERVING
        for service in ("", SERVICE_NAME):
            await self.servicer.set(service, status)
        if self._on_change is not None:
            self._on_change(serving)
        log.info("health", serving=serving, why=why)

    def mark_down(self, why: str) -> None:
        """Report NOT_SERVING at once, from code that cannot await."""
        task = asyncio.ensure_future(self.set_serving(False, why))
        task.add_done_callback(lambda done: done.exception())

    async def watch(
        self,
        checks: dict[str, Callable[[], Awaitable[bool]]],
        interval: float,
        timeout: float,
    ) -> None:
        """Probe every dependency each `interval` seconds until cancelled.

        The probes run side by side, each within `timeout`, so a hung one (an audit disk
        that blocks every write) cannot hold up the others or the verdict. A probe still
        running when its time is up counts as failing, and is not started again until it
        returns: a hung disk ties up one thread, not one per round.
        """
        running: dict[str, asyncio.Task[bool]] = {}
        try:
            while True:
                started = asyncio.get_running_loop().time()
                for name, check in checks.items():
                    if name not in running:
                        running[name] = asyncio.ensure_future(check())
                await asyncio.wait(running.values(), timeout=timeout)
                failing = []
                for name in checks:
                    task = running[name]
                    if not task.done():
                        failing.append(f"{name} (no answer within {timeout:g}s)")
                        continue
                    del running[name]
                    if task.cancelled() or task.exception() is not None or not task.result():
                        failing.append(name)
                await self.set_serving(
                    not failing,
                    "all dependencies up" if not failing else ", ".join(failing) + " down",
                )
                elapsed = asyncio.get_running_loop().time() - started
                await asyncio.sleep(max(interval - elapsed, 0.0))
        finally:
            for task in running.values():
                task.cancel()

    async def shut_down(self) -> None:
        await self.servicer.enter_graceful_shutdown()
