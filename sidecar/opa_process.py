"""Starts and supervises the sidecar's own `opa run --server` on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import structlog

from sidecar import policy_bundle
from sidecar.errors import StartupError

log = structlog.get_logger("vir.opa")

BUNDLED_BINARY = Path(".tools/bin/opa")
READY_TIMEOUT_SECONDS = 30.0
BACKOFF_FIRST_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 5.0


class OpaStartError(StartupError):
    """The OPA binary could not be found or did not become ready."""


def find_binary(configured: str | None, env: Mapping[str, str]) -> str:
    """--opa-binary, then VIR_OPA_BINARY, then .tools/bin/opa, then opa on PATH."""
    for candidate in (configured, env.get("VIR_OPA_BINARY")):
        if candidate:
            return candidate
    if BUNDLED_BINARY.is_file():
        return str(BUNDLED_BINARY.resolve())
    found = shutil.which("opa")
    if found is None:
        raise OpaStartError("no opa binary: run 'make tools' or pass --opa-binary")
    return found


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent_prefix() -> list[str]:
    """A command prefix that makes OPA get SIGTERM if the sidecar is killed outright.

    setpriv (util-linux) sets the parent-death signal and execs OPA. A Python
    preexec_fn could do the same, but it forces a plain fork(), and forking a
    process with gRPC threads can abort the child before it execs.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        log.warning("setpriv not found: OPA will outlive the sidecar if it is killed with -9")
        return []
    return [setpriv, "--pdeathsig", "TERM", "--"]


class OpaSupervisor:
    """Runs OPA, restarts it with backoff when it dies, and stops it on shutdown.

    `on_ready(url, revision)` runs after every (re)start once OPA answers;
    `on_down()` runs as soon as the process is seen to exit.
    """

    def __init__(
        self,
        *,
        binary: str,
        policy_dir: Path,
        is_ready: Callable[[str], Awaitable[bool]],
        on_ready: Callable[[str, str], Awaitable[None]],
        on_down: Callable[[], Awaitable[None]],
    ) -> None:
        self._binary = binary
        self._policy_dir = policy_dir
        self._is_ready = is_ready
        self._on_ready = on_ready
        self._on_down = on_down
        self._workdir = Path(tempfile.mkdtemp(prefix="vir-opa-"))
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self._port = free_loopback_port()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self) -> None:
        """Start OPA and wait until it serves the policy; raise OpaStartError if it cannot."""
        await self._launch()
        self._watch = asyncio.create_task(self._supervise(), name="opa-supervisor")

    async def _launch(self) -> None:
        bundle = self._workdir / "bundle"
        revision = policy_bundle.snapshot(self._policy_dir, bundle)
        url = f"http://127.0.0.1:{self._port}"
        self._process = await asyncio.create_subprocess_exec(
            *die_with_parent_prefix(),
            self._binary,
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{self._port}",
            "--bundle",
            str(bundle),
            "--log-level",
            "error",
            "--skip-version-check",
            stdin=asyncio.subprocess.DEVNULL,
        )
        log.info("opa_started", pid=self._process.pid, url=url, policy_revision=revision)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_SECONDS
        while loop.time() < deadline:
            if self._process.returncode is not None:
                raise OpaStartError(f"opa exited with status {self._process.returncode}")
            if await self._is_ready(url):
                await self._on_ready(url, revision)
                return
            await asyncio.sleep(0.05)
        raise OpaStartError(f"opa did not serve the policy within {READY_TIMEOUT_SECONDS:.0f}s")

    async def _supervise(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        while not self._stopping:
            assert self._process is not None
            status = await self._process.wait()
            if self._stopping:
                return
            log.error("opa_exited", status=status, restart_in_seconds=backoff)
            await self._on_down()
            await asyncio.sleep(backoff)
            try:
                # The old port may be taken by now; a new one is as good.
                self._port = free_loopback_port()
                await self._launch()
                backoff = BACKOFF_FIRST_SECONDS
            except (OpaStartError, OSError) as error:
                log.error("opa_restart_failed", error=str(error))
                await self._kill()
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _kill(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def stop(self) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._kill()
        shutil.rmtree(self._workdir, ignore_errors=True)
