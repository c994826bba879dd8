"""Load generator: sends Checks (gRPC) or decision queries (OPA REST) and times them.

Runs in its own process, apart from the system under test, and prints one
JSON summary on stdout.

- Open loop: requests go out at a fixed rate whatever the answers do; each
  latency counts from the request's scheduled send time, so queueing in the
  system under test is not hidden (no coordinated omission).
- Closed loop: N callers each send the next request as soon as the last one
  is answered, for maximum throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import orjson

from sidecar.api import pb, pb_grpc

Send = Callable[[int], Awaitable[bool]]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    async def timed(self, send: Send, index: int, since: float) -> None:
        ok = await send(index)
        self.latencies.append(time.perf_counter() - since)
        if not ok:
            self.errors += 1


def percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(tally: Tally, elapsed: float) -> dict[str, Any]:
    ordered = sorted(tally.latencies)
    return {
        "checks": len(ordered),
        "errors": tally.errors,
        "elapsed_s": round(elapsed, 3),
        "throughput_per_s": round(len(ordered) / elapsed, 1),
        "latency_ms": {
            name: round(percentile(ordered, q) * 1000, 3)
            for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99_9", 0.999))
        }
        | {"max": round(ordered[-1] * 1000, 3) if ordered else None},
    }


async def open_loop(send: Send, rate: float, duration: float) -> dict[str, Any]:
    tally = Tally()
    total = int(rate * duration)
    start = time.perf_counter() + 0.01
    pending = []
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(tally.timed(send, index, scheduled)))
    await asyncio.gather(*pending)
    return summary(tally, time.perf_counter() - start)


async def closed_loop(
    send: Send, concurrency: int, duration: float, count: int | None
) -> dict[str, Any]:
    tally = Tally()
    start = time.perf_counter()
    deadline = start + duration
    issued = 0

    async def caller() -> None:
        nonlocal issued
        while time.perf_counter() < deadline and (count is None or issued < count):
            index = issued
            issued += 1
            await tally.timed(send, index, time.perf_counter())

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return summary(tally, time.perf_counter() - start)


def grpc_sender(address: str, requests: Sequence[pb.CheckRequest]) -> tuple[Send, Any]:
    channel = grpc.aio.insecure_channel(address)
    stub = pb_grpc.AuthorizationServiceStub(channel)

    async def send(index: int) -> bool:
        try:
            await stub.Check(requests[index % len(requests)], timeout=10)
        except grpc.aio.AioRpcError:
            return False
        return True

    return send, channel.close


def http_sender(url: str, bodies: Sequence[bytes], pool: int) -> tuple[Send, Any]:
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=pool))
    headers = {"Content-Type": "application/json"}

    async def send(index: int) -> bool:
        try:
            async with session.post(
                url, data=bodies[index % len(bodies)], headers=headers
            ) as answer:
                document = await answer.read()
                return answer.status == 200 and b'"result"' in document
        except aiohttp.ClientError:
            return False

    return send, session.close


async def main_async(args: argparse.Namespace, documents: dict[str, Any]) -> dict[str, Any]:
    if args.target.startswith("http"):
        bodies = [orjson.dumps({"input": doc}) for doc in documents["opa_inputs"]]
        send, close = http_sender(args.target, bodies, max(args.concurrency, 64))
    else:
        requests = [pb.CheckRequest.FromString(bytes.fromhex(h)) for h in documents["requests"]]
        send, close = grpc_sender(args.target, requests)
    try:
        # Warm-up: connections, OPA's caches and the sidecar's first-call paths.
        await closed_loop(send, 4, args.warmup, None)
        if args.mode == "open":
            return await open_loop(send, args.rate, args.duration)
        return await closed_loop(send, args.concurrency, args.duration, args.count)
    finally:
        await close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True, help="HOST:PORT (gRPC) or an OPA data URL")
    parser.add_argument("--requests", required=True, help="JSON file written by bench.run")
    parser.add_argument("--mode", choices=["open", "closed"], required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    documents = json.loads(Path(args.requests).read_text(encoding="utf-8"))
    print(json.dumps(asyncio.run(main_async(args, documents))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
