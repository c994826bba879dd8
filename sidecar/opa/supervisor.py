"""Starts and supervises the sidecar's own `opa run --server` on a private unix socket.

Each launch gets a fresh directory, mode 0700, inside the sidecar's working directory
(also 0700): no other user can create, replace or connect to the socket there, and no TCP
port is opened. Before OPA counts as ready, the kernel must confirm (SO_PEERCRED) that the
process serving the socket is the child just started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import structlog

from sidecar import policy_bundle
from sidecar.errors import StartupError
from sidecar.opa import workdir as opa_workdir
from sidecar.opa.endpoint import OpaEndpoint, unix_endpoint
from sidecar.opa.peer import ExpectedPeer, ImpostorError, verify_socket_path

log = structlog.get_logger("vir.opa")

BUNDLED_BINARY = Path(".tools/bin/opa")
READY_TIMEOUT_SECONDS = 30.0
BACKOFF_FIRST_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 5.0
# A stopped or wedged OPA is killed (and so restarted) after failing probes for this long.
WATCHDOG_SECONDS = 5.0
WATCHDOG_INTERVAL_SECONDS = 1.0
SOCKET_NAME = "opa.sock"
# sun_path holds 108 bytes, the last one a NUL.
MAX_SOCKET_PATH_BYTES = 107


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
    """Runs OPA, restarts it with backoff when it dies or stops answering, and stops it on shutdown.

    `is_ready(endpoint, peer)` says whether OPA at `endpoint`, served by `peer`, answers
    with the policy loaded; `on_ready(revision)` runs after every (re)start once it does;
    `on_down(why)` runs as soon as the process is seen to exit. `probe()` is the liveness
    probe of the watchdog, which kills an OPA that fails it for WATCHDOG_SECONDS.
    """

    def __init__(
        self,
        *,
        binary: str,
        policy_dir: Path,
        is_ready: Callable[[OpaEndpoint, ExpectedPeer], Awaitable[bool]],
        on_ready: Callable[[str], Awaitable[None]],
        on_down: Callable[[str], Awaitable[None]],
        probe: Callable[[], Awaitable[bool]],
        workdir_base: Path | None = None,
        watchdog_seconds: float = WATCHDOG_SECONDS,
    ) -> None:
        self._binary = binary
        self._policy_dir = policy_dir
        self._is_ready = is_ready
        self._on_ready = on_ready
        self._on_down = on_down
        self._probe = probe
        self._watchdog_seconds = watchdog_seconds
        self._workdir = opa_workdir.create(workdir_base)
        self._launches = 0
        self._run_dir: Path | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def workdir(self) -> Path:
        return self._workdir

    async def start(self) -> None:
        """Start OPA and wait until it serves the policy; raise OpaStartError if it cannot."""
        try:
            await self._launch()
        except BaseException:
            await self.stop()  # the child, if any, and the working directory
            raise
        self._tasks = [
            asyncio.create_task(self._supervise(), name="opa-supervisor"),
            asyncio.create_task(self._watchdog(), name="opa-watchdog"),
        ]

    def _fresh_run_dir(self) -> Path:
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
        self._launches += 1
        self._run_dir = self._workdir / f"run-{self._launches}"
        self._run_dir.mkdir(mode=0o700)
        return self._run_dir

    async def _launch(self) -> None:
        self._ready = False
        run_dir = self._fresh_run_dir()
        revision = policy_bundle.snapshot(self._policy_dir, run_dir / "bundle")
        socket_path = run_dir / SOCKET_NAME
        if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH_BYTES:
            raise OpaStartError(
                f"OPA's socket path {socket_path} is too long for a unix socket: set TMPDIR to a"
                " shorter directory"
            )
        self._process = await asyncio.create_subprocess_exec(
            *die_with_parent_prefix(),
            self._binary,
            "run",
            "--server",
            "--addr",
            f"unix://{socket_path}",
            "--unix-socket-perm",
            "600",
            "--bundle",
            str(run_dir / "bundle"),
            "--log-level",
            "error",
            "--skip-version-check",
            stdin=asyncio.subprocess.DEVNULL,
        )
        # setpriv execs OPA, so the pid we started is the pid that listens.
        peer = ExpectedPeer.child(self._process.pid)
        endpoint = unix_endpoint(str(socket_path))
        log.info(
            "opa_started", pid=self._process.pid, socket=str(socket_path), policy_revision=revision
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_SECONDS
        while loop.time() < deadline:
            if self._process.returncode is not None:
                raise OpaStartError(f"opa exited with status {self._process.returncode}")
            if await self._serves_socket(socket_path, peer) and await self._is_ready(
                endpoint, peer
            ):
                self._ready = True
                await self._on_ready(revision)
                return
            await asyncio.sleep(0.05)
        raise OpaStartError(f"opa did not serve the policy within {READY_TIMEOUT_SECONDS:.0f}s")

    async def _serves_socket(self, socket_path: Path, peer: ExpectedPeer) -> bool:
        """True once our child serves the socket; OpaStartError if anyone else does."""
        try:
            await asyncio.to_thread(verify_socket_path, str(socket_path), peer)
        except ImpostorError as error:
            log.error("opa_socket_impostor", socket=str(socket_path), error=str(error))
            raise OpaStartError(f"the OPA socket is not served by our OPA: {error}") from error
        except OSError:
            return False  # not listening yet
        return True

    async def _supervise(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        while not self._stopping:
            assert self._process is not None
            status = await self._process.wait()
            self._ready = False
            if self._stopping:
                return
            log.error("opa_exited", status=status, restart_in_seconds=backoff)
            await self._on_down("opa exited")
            await asyncio.sleep(backoff)
            try:
                await self._launch()
                backoff = BACKOFF_FIRST_SECONDS
            except (OpaStartError, OSError) as error:
                log.error("opa_restart_failed", error=str(error))
                await self._kill()
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _watchdog(self) -> None:
        """Kill an OPA that stays unresponsive (stopped, wedged): _supervise restarts it."""
        loop = asyncio.get_running_loop()
        last_answer = loop.time()
        while not self._stopping:
            await asyncio.sleep(WATCHDOG_INTERVAL_SECONDS)
            process = self._process
            if not self._ready or process is None or process.returncode is not None:
                last_answer = loop.time()
                continue
            if await self._probe():
                last_answer = loop.time()
                continue
            silent = loop.time() - last_answer
            if silent >= self._watchdog_seconds and self._ready and process is self._process:
                log.error("opa_unresponsive", pid=process.pid, silent_seconds=round(silent, 1))
                self._ready = False
                await self._on_down("opa unresponsive")
                with contextlib.suppress(ProcessLookupError):
                    process.kill()  # SIGKILL ends a stopped process too
                last_answer = loop.time()

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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._kill()
        shutil.rmtree(self._workdir, ignore_errors=True)
