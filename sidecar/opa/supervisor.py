"""Starts and supervises the sidecar's own `opa run --server` on a private unix socket.

Each launch gets a fresh directory, mode 0700, inside the sidecar's working directory
(also 0700): no other user can create, replace or connect to the socket there, and no TCP
port is opened. Before OPA counts as ready, the kernel must confirm (SO_PEERCRED) that the
process serving the socket is the child just started.

OPA serves two bundles: the rules (sidecar.opa.bundle), built from --policy-dir at each
launch or a copy of --policy-bundle, and the settings (sidecar.opa.settings), the force's
--policy-settings file merged over the defaults the rules bundle carries. When either source
changes, or on SIGHUP, a second OPA starts on the new bundles beside the first; once it
answers, and the policy finds no problem in its settings, the engine moves every new check
to it in one step, and the old OPA stops after its last check. No check fails or waits, and
no decision is made by a half-loaded policy: each OPA only ever holds one set of bundles.
Settings with a problem never serve: they stop the start, and on a reload the running OPA
carries on with the settings it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from sidecar.errors import StartupError
from sidecar.opa import bundle, settings
from sidecar.opa import workdir as opa_workdir
from sidecar.opa.command import (
    OpaStartError,
    Verification,
    opa_environment,
    run_command,
    write_verification_config,
)
from sidecar.opa.endpoint import OpaEndpoint, unix_endpoint
from sidecar.opa.peer import ExpectedPeer, ImpostorError, verify_socket_path

log = structlog.get_logger("vir.opa")

READY_TIMEOUT_SECONDS = 30.0
BACKOFF_FIRST_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 5.0
# A stopped or wedged OPA is killed (and so restarted) after failing probes for this long.
WATCHDOG_SECONDS = 5.0
WATCHDOG_INTERVAL_SECONDS = 1.0
SOCKET_NAME = "opa.sock"
BUNDLE_NAME = "vir-policy.tar.gz"
SETTINGS_NAME = "vir-settings"
OPA_CONFIG_NAME = "opa-config.json"
# How often the bundle source is looked at for changes.
SOURCE_POLL_SECONDS = 1.0
# sun_path holds 108 bytes, the last one a NUL.
MAX_SOCKET_PATH_BYTES = 107


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


@dataclass(frozen=True)
class BundleSource:
    """Where the managed OPA's bundles come from: policy sources built at each launch, or a
    built bundle file, and the force's settings file (None: the defaults); with
    `verification`, OPA refuses a rules bundle not signed by that key."""

    policy_dir: Path | None = None
    bundle_file: Path | None = None
    verification: Verification | None = None
    settings_file: Path | None = None

    def fingerprint(self) -> str:
        """A digest that changes when the bundles OPA would get change."""
        digest = hashlib.sha256()
        if self.bundle_file is not None:
            digest.update(self.bundle_file.read_bytes())
        elif self.policy_dir is not None:
            for relative in bundle.served_files(self.policy_dir):
                digest.update(relative.as_posix().encode() + b"\0")
                digest.update((self.policy_dir / relative).read_bytes() + b"\0")
        if self.settings_file is not None:
            digest.update(b"settings\0" + self.settings_file.read_bytes())
        return digest.hexdigest()

    def materialise(self, binary: str, run_dir: Path) -> Materialised:
        """Write the bundles OPA is to load into `run_dir`."""
        rules = run_dir / BUNDLE_NAME
        if self.bundle_file is not None:
            shutil.copyfile(self.bundle_file, rules)
        elif self.policy_dir is not None:
            bundle.build(self.policy_dir, rules, opa_binary=binary)
        else:
            raise OpaStartError("no policy: give --policy-dir or --policy-bundle")
        # The defaults of the very rules OPA gets, whatever the sources hold by now.
        defaults = settings.defaults_of_bundle(rules)
        served = settings.write_bundle(
            settings.effective(defaults, self.settings_file), run_dir / SETTINGS_NAME
        )
        if self.verification is None:
            return Materialised(bundles=(rules, served.path), config_file=None)
        config = write_verification_config(run_dir / OPA_CONFIG_NAME, rules, self.verification)
        return Materialised(bundles=(served.path,), config_file=config)


@dataclass(frozen=True)
class Materialised:
    """The bundles on OPA's command line, and its configuration file (a signed rules bundle
    is loaded through it)."""

    bundles: tuple[Path, ...]
    config_file: Path | None


@dataclass
class _Launch:
    process: asyncio.subprocess.Process
    run_dir: Path


class OpaSupervisor:
    """Runs OPA, restarts it with backoff when it dies or stops answering, reloads the
    policy when its source changes, and stops OPA on shutdown.

    `switch_to(endpoint, peer)` moves the engine to the OPA at `endpoint`, served by
    `peer`, if it answers with the policy loaded, and returns the revision it answered
    with (None if it does not answer yet); it raises a StartupError if that OPA must not
    serve (the policy finds problems in its settings), which fails the start, or on a
    reload leaves the running OPA serving. `on_ready(revision)` runs after every start or
    reload once it does; `on_down(why)` runs as soon as the process is seen to exit.
    `probe()` is the liveness probe of the watchdog, which kills an OPA that fails it for
    WATCHDOG_SECONDS.
    """

    def __init__(
        self,
        *,
        binary: str,
        source: BundleSource,
        switch_to: Callable[[OpaEndpoint, ExpectedPeer], Awaitable[str | None]],
        on_ready: Callable[[str], Awaitable[None]],
        on_down: Callable[[str], Awaitable[None]],
        probe: Callable[[], Awaitable[bool]],
        workdir_base: Path | None = None,
        watchdog_seconds: float = WATCHDOG_SECONDS,
        poll_seconds: float = SOURCE_POLL_SECONDS,
    ) -> None:
        self._binary = binary
        self._source = source
        self._switch_to = switch_to
        self._on_ready = on_ready
        self._on_down = on_down
        self._probe = probe
        self._watchdog_seconds = watchdog_seconds
        self._poll_seconds = poll_seconds
        self._workdir = opa_workdir.create(workdir_base)
        self._launches = 0
        self._current: _Launch | None = None
        self._ready = False
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._lock = asyncio.Lock()
        self._fingerprint: str | None = None
        self._reload_requested = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._current.process.pid if self._current else None

    @property
    def workdir(self) -> Path:
        return self._workdir

    async def start(self) -> None:
        """Start OPA and wait until it serves the policy; raise OpaStartError if it cannot."""
        try:
            async with self._lock:
                self._current = await self._launch()
        except BaseException:
            await self.stop()  # the child, if any, and the working directory
            raise
        self._tasks = [
            asyncio.create_task(self._supervise(), name="opa-supervisor"),
            asyncio.create_task(self._watchdog(), name="opa-watchdog"),
            asyncio.create_task(self._watch_source(), name="opa-policy-watch"),
        ]

    def request_reload(self) -> None:
        """Load the policy again (SIGHUP), whether or not its source changed."""
        self._reload_requested.set()

    def _fresh_run_dir(self) -> Path:
        self._launches += 1
        run_dir = self._workdir / f"run-{self._launches}"
        run_dir.mkdir(mode=0o700)
        return run_dir

    async def _launch(self) -> _Launch:
        """Start an OPA on the current bundle and return it once the engine uses it."""
        run_dir = self._fresh_run_dir()
        process: asyncio.subprocess.Process | None = None
        try:
            fingerprint = await asyncio.to_thread(self._source.fingerprint)
            served = await asyncio.to_thread(self._source.materialise, self._binary, run_dir)
            socket_path = run_dir / SOCKET_NAME
            if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH_BYTES:
                raise OpaStartError(
                    f"OPA's socket path {socket_path} is too long for a unix socket: set TMPDIR"
                    " to a shorter directory"
                )
            process = await asyncio.create_subprocess_exec(
                *die_with_parent_prefix(),
                *run_command(
                    self._binary,
                    addr=f"unix://{socket_path}",
                    bundles=served.bundles,
                    config_file=served.config_file,
                ),
                stdin=asyncio.subprocess.DEVNULL,
                env=opa_environment(),
            )
            revision = await self._wait_until_switched(process, socket_path)
        except BaseException:
            if process is not None:
                await _kill(process)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        self._fingerprint = fingerprint
        self._ready = True
        log.info("opa_serving", pid=process.pid, socket=str(socket_path), policy_revision=revision)
        await self._on_ready(revision)
        return _Launch(process, run_dir)

    async def _wait_until_switched(
        self, process: asyncio.subprocess.Process, socket_path: Path
    ) -> str:
        # setpriv execs OPA, so the pid we started is the pid that listens.
        peer = ExpectedPeer.child(process.pid)
        endpoint = unix_endpoint(str(socket_path))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_SECONDS
        while loop.time() < deadline:
            if process.returncode is not None:
                raise OpaStartError(
                    f"opa exited with status {process.returncode} (a bundle it refused?)"
                )
            if await self._serves_socket(socket_path, peer):
                revision = await self._switch_to(endpoint, peer)
                if revision is not None:
                    return revision
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

    async def _reload(self, why: str) -> None:
        """Start an OPA on the new bundle beside the running one and move checks to it."""
        async with self._lock:
            previous = self._current
            if self._stopping or previous is None or previous.process.returncode is not None:
                return  # _supervise starts OPA afresh, on the new bundle
            log.info("opa_reloading", why=why)
            try:
                self._current = await self._launch()
            except (StartupError, OSError) as error:
                # The running OPA keeps serving the policy it has.
                log.error("opa_reload_failed", error=str(error))
                with contextlib.suppress(OSError):
                    self._fingerprint = await asyncio.to_thread(self._source.fingerprint)
                return
            await _kill(previous.process)
            shutil.rmtree(previous.run_dir, ignore_errors=True)

    async def _watch_source(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._reload_requested.wait()
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                await self._reload("SIGHUP")
                continue
            try:
                fingerprint = await asyncio.to_thread(self._source.fingerprint)
            except OSError:
                continue  # mid-replacement; looked at again next time
            if fingerprint != self._fingerprint:
                await self._reload("policy source changed")

    async def _supervise(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        while not self._stopping:
            launch = self._current
            assert launch is not None
            status = await launch.process.wait()
            if self._stopping:
                return
            if launch is not self._current:
                continue  # replaced by a reload
            self._ready = False
            log.error("opa_exited", status=status, restart_in_seconds=backoff)
            await self._on_down("opa exited")
            await asyncio.sleep(backoff)
            async with self._lock:
                if launch is not self._current:
                    continue
                shutil.rmtree(launch.run_dir, ignore_errors=True)
                try:
                    self._current = await self._launch()
                    backoff = BACKOFF_FIRST_SECONDS
                except (StartupError, OSError) as error:
                    log.error("opa_restart_failed", error=str(error))
                    backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _watchdog(self) -> None:
        """Kill an OPA that stays unresponsive (stopped, wedged): _supervise restarts it."""
        loop = asyncio.get_running_loop()
        last_answer = loop.time()
        while not self._stopping:
            await asyncio.sleep(WATCHDOG_INTERVAL_SECONDS)
            launch = self._current
            if not self._ready or launch is None or launch.process.returncode is not None:
                last_answer = loop.time()
                continue
            if await self._probe():
                last_answer = loop.time()
                continue
            silent = loop.time() - last_answer
            if silent >= self._watchdog_seconds and self._ready and launch is self._current:
                log.error(
                    "opa_unresponsive", pid=launch.process.pid, silent_seconds=round(silent, 1)
                )
                self._ready = False
                await self._on_down("opa unresponsive")
                with contextlib.suppress(ProcessLookupError):
                    launch.process.kill()  # SIGKILL ends a stopped process too
                last_answer = loop.time()

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._current is not None:
            await _kill(self._current.process)
        shutil.rmtree(self._workdir, ignore_errors=True)


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=5)
    except TimeoutError:
        process.kill()
        await process.wait()
