"""Health probes run side by side, each with a time limit: a hung one cannot hold up the rest."""

from __future__ import annotations

import asyncio

from grpc_health.v1 import health_pb2

from sidecar.health import NOT_SERVING, SERVING, HealthReporter


async def status(reporter: HealthReporter) -> int:
    request = health_pb2.HealthCheckRequest(service="")
    answer = await reporter.servicer.Check(request, None)
    return int(answer.status)


async def test_a_hung_probe_turns_health_not_serving_and_is_not_started_twice() -> None:
    reporter = HealthReporter()
    release = asyncio.Event()
    audit_calls = 0
    opa_calls = 0

    async def audit_hangs() -> bool:
        nonlocal audit_calls
        audit_calls += 1
        if audit_calls > 1:
            await release.wait()
        return True

    async def opa_up() -> bool:
        nonlocal opa_calls
        opa_calls += 1
        return True

    watcher = asyncio.create_task(
        reporter.watch({"opa": opa_up, "audit": audit_hangs}, interval=0.05, timeout=0.1)
    )
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            if audit_calls > 1 and await status(reporter) == NOT_SERVING:
                break
        assert await status(reporter) == NOT_SERVING
        calls_while_hung = opa_calls
        await asyncio.sleep(0.5)
        assert audit_calls == 2, "a hung probe must not be started again"
        assert opa_calls > calls_while_hung, "the other probe keeps running"
        release.set()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if await status(reporter) == SERVING:
                break
        assert await status(reporter) == SERVING
    finally:
        watcher.cancel()


async def test_a_failing_or_raising_probe_is_not_serving() -> None:
    reporter = HealthReporter()

    async def fails() -> bool:
        return False

    async def raises() -> bool:
        raise OSError("disk gone")

    async def up() -> bool:
        return True

    for broken in (fails, raises):
        watcher = asyncio.create_task(
            reporter.watch({"opa": up, "audit": broken}, interval=0.05, timeout=0.5)
        )
        await asyncio.sleep(0.2)
        assert await status(reporter) == NOT_SERVING
        watcher.cancel()


async def test_every_change_of_serving_is_reported_once() -> None:
    changes: list[bool] = []
    reporter = HealthReporter(on_change=changes.append)
    await reporter.set_serving(False, "starting")
    await reporter.set_serving(True, "ready")
    await reporter.set_serving(True, "still ready")
    await reporter.set_serving(False, "down")
    assert changes == [False, True, False]
