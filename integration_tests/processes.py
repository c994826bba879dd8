"""Real OPA and sidecar processes for black-box tests."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import yaml
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from devtools.dated_requests import EXAMPLES_TIME, elapsed_since, moved
from sidecar.api import SERVICE_NAME, pb, pb_grpc
from sidecar.opa import settings
from sidecar.opa.bundle import Bundle, build
from sidecar.opa.command import find_binary, run_command

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
EXAMPLES = ROOT / "examples"
TEST_AUDIT_KEY = "0f" * 32


def opa_binary() -> str:
    """The pinned OPA; a missing binary fails the test run rather than skipping it."""
    return find_binary(None, os.environ, cwd=ROOT)


@functools.cache
def built_bundle() -> Bundle:
    """policies/ built as the sidecar builds it, once per test run."""
    directory = Path(tempfile.mkdtemp(prefix="vir-it-bundle-"))
    return build(POLICIES, directory / "vir-policy.tar.gz", opa_binary=opa_binary())


@functools.cache
def default_settings() -> settings.SettingsBundle:
    """The settings bundle of the shipped defaults, as the sidecar writes it without
    --policy-settings, once per test run."""
    directory = Path(tempfile.mkdtemp(prefix="vir-it-settings-"))
    defaults = settings.defaults_of_bundle(built_bundle().path)
    return settings.write_bundle(defaults, directory / "vir-settings")


def policy_revision(settings_revision: str | None = None) -> str:
    """The revision a decision names: the rules built from policies/, and the settings
    (by default the shipped defaults)."""
    served = settings_revision or default_settings().revision
    return f"rules@{built_bundle().revision}+settings@{served}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not within {timeout}s")


def example_document(name: str = "counselling-allowed") -> dict[str, object]:
    """An example request as JSON, its timestamps moved from the date the
    examples are written for to now, so its clearance is current."""
    document = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return dict(moved(document, elapsed_since(EXAMPLES_TIME)))


def example_request(name: str = "counselling-allowed") -> pb.CheckRequest:
    return json_format.ParseDict(example_document(name), pb.CheckRequest())


def example_file(name: str, directory: Path) -> Path:
    """A copy of an example request file, dated as example_document."""
    path = directory / f"{name}.json"
    path.write_text(json.dumps(example_document(name)), encoding="utf-8")
    return path


@dataclass
class OpaServer:
    """An `opa run --server` the test controls directly, serving `bundles` (by default the
    built rules and the shipped settings) with `extra` flags."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    bundles: Sequence[Path] = ()
    extra: Sequence[str] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpaServer:
        self.process = subprocess.Popen(
            run_command(
                opa_binary(),
                addr=f"127.0.0.1:{self.port}",
                bundles=self.bundles or [built_bundle().path, default_settings().path],
                extra=self.extra,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 20, "opa")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Sidecar:
    """The real `vir-sidecar serve` process, talked to over gRPC."""

    workdir: Path
    extra_args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    channel: grpc.Channel | None = None
    policy_dir: Path = POLICIES
    credentials: grpc.ChannelCredentials | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def audit_dir(self) -> Path:
        return self.workdir / "audit"

    @property
    def log_path(self) -> Path:
        return self.workdir / "sidecar.log"

    def start(self, *, wait_serving: bool = True) -> Sidecar:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "VIR_AUDIT_KEY": TEST_AUDIT_KEY,
            "VIR_OPA_BINARY": opa_binary(),
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sidecar",
                    "serve",
                    "--listen",
                    self.address,
                    "--metrics-listen",
                    f"127.0.0.1:{self.metrics_port}",
                    "--audit-dir",
                    str(self.audit_dir),
                    "--policy-dir",
                    str(self.policy_dir),
                    "--log-format",
                    "json",
                    "--health-interval",
                    "0.2",
                    *self.extra_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        self.channel = self.open_channel(self.credentials)
        if wait_serving:
            wait_until(self.serving, 30, "sidecar SERVING")
        return self

    def open_channel(self, credentials: grpc.ChannelCredentials | None) -> grpc.Channel:
        if credentials is None:
            return grpc.insecure_channel(self.address)
        return grpc.secure_channel(self.address, credentials)

    @property
    def stub(self) -> pb_grpc.AuthorizationServiceStub:
        assert self.channel is not None
        return pb_grpc.AuthorizationServiceStub(self.channel)

    def check(self, request: pb.CheckRequest, timeout: float = 5) -> pb.CheckResponse:
        response: pb.CheckResponse = self.stub.Check(request, timeout=timeout)
        return response

    def health(self, service: str = SERVICE_NAME) -> int | None:
        assert self.channel is not None
        try:
            answer = health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=1
            )
        except grpc.RpcError:
            return None
        return int(answer.status)

    def serving(self) -> bool:
        return self.health() == health_pb2.HealthCheckResponse.SERVING

    def not_serving(self) -> bool:
        return self.health() == health_pb2.HealthCheckResponse.NOT_SERVING

    def metrics_text(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode("utf-8"))

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample in /metrics, 0 when it is absent."""
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    def log_lines(self) -> list[dict[str, object]]:
        lines = []
        for raw in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                lines.append({"unparsed": raw})
        return lines

    def opa_pid(self) -> int:
        """The pid of the OPA this sidecar supervises (its only child)."""
        pids = self.child_pids()
        assert len(pids) == 1, pids
        return pids[0]

    def child_pids(self) -> list[int]:
        """The sidecar's children: its OPA, and during a reload the next OPA too."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def opa_replaced(self, first: int) -> bool:
        """True once one OPA runs, and it is not `first`."""
        pids = self.child_pids()
        return len(pids) == 1 and pids[0] != first

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> int | None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def policy_copy(directory: Path, **config_overrides: object) -> Path:
    """A copy of the policy sources with top-level keys of vir/config/data.yaml replaced,
    for --policy-dir (the sidecar builds its bundle from it)."""
    copy = directory / "policies"
    shutil.copytree(POLICIES, copy)
    config_file = copy / "vir" / "config" / "data.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config.update(config_overrides)
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    return copy


def audit_records(audit_dir: Path) -> list[dict[str, object]]:
    """Every record in a trail directory, oldest first (quarantine files excluded)."""
    records = []
    for path in sorted(audit_dir.glob("audit-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            records.append(json.loads(line))
    return records


def audit_command(
    command: str, *arguments: Path | str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`vir-sidecar audit COMMAND` with the given paths and options, keyed with the test key."""
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "audit", command, *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "VIR_AUDIT_KEY": TEST_AUDIT_KEY},
        check=False,
        timeout=timeout,
    )


def verify_trail(*arguments: Path | str) -> subprocess.CompletedProcess[str]:
    """`vir-sidecar audit verify` with the given paths and options, keyed with the test key."""
    return audit_command("verify", *arguments)


def stop_process(pid: int, timeout: float = 10) -> None:
    """SIGSTOP `pid` and wait until every one of its threads has stopped.

    kill() returns before the stop takes effect: on a busy machine a thread of the target
    can go on running (and OPA can still answer) for a while after it.
    """
    os.kill(pid, signal.SIGSTOP)

    def all_stopped() -> bool:
        try:
            states = [
                (task / "stat").read_text().rpartition(")")[2].split()[0]
                for task in Path(f"/proc/{pid}/task").iterdir()
            ]
        except OSError:
            return False
        return all(state in {"T", "t"} for state in states)

    wait_until(all_stopped, timeout, f"process {pid} stopped")
