"""Running what the chart renders as local processes: the policy bundle laid out as the
kubelet mounts it, and OPA started with the rendered arguments, its API on a unix socket
in a scratch directory and its diagnostic listener on a free loopback port."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chartlib import FULLNAME, Manifest, container, find, statefulset_pod

POLICY_MOUNT = "/policy"
POLICY_BUNDLE = "vir-policy.tar.gz"
SETTINGS_MOUNT = "/etc/opa/settings"
OPA_SOCKET = "/run/opa/opa.sock"


def materialise_bundle(manifests: list[Manifest], container_name: str, into: Path) -> Path:
    """Lay out the policy bundle as the kubelet mounts it into `container_name`; return the
    directory that stands for POLICY_MOUNT."""
    config_map = find(manifests, "ConfigMap", f"{FULLNAME}-policies")
    pod = statefulset_pod(manifests)
    (volume,) = [v for v in pod["volumes"] if v["name"] == "policies"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert volume["configMap"]["items"] == [{"key": POLICY_BUNDLE, "path": POLICY_BUNDLE}]
    (mount,) = [
        m for m in container(pod, container_name)["volumeMounts"] if m["name"] == "policies"
    ]
    assert mount == {"name": "policies", "mountPath": POLICY_MOUNT, "readOnly": True}
    assert "data" not in config_map
    into.mkdir(parents=True, exist_ok=True)
    (into / POLICY_BUNDLE).write_bytes(base64.b64decode(config_map["binaryData"][POLICY_BUNDLE]))
    return into


def materialise_settings(manifests: list[Manifest], into: Path) -> Path:
    """Lay out the settings bundle of policy.settings as the kubelet mounts it into the opa
    container, file by file; return the directory that stands for SETTINGS_MOUNT."""
    config_map = find(manifests, "ConfigMap", f"{FULLNAME}-settings")
    pod = statefulset_pod(manifests)
    (volume,) = [v for v in pod["volumes"] if v["name"] == "settings"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    mounts = [m for m in container(pod, "opa")["volumeMounts"] if m["name"] == "settings"]
    assert {m["subPath"] for m in mounts} == {"data.json", "manifest"}
    for mount in mounts:
        assert mount["readOnly"] is True
        assert mount["mountPath"].startswith(SETTINGS_MOUNT + "/")
        target = into / mount["mountPath"][len(SETTINGS_MOUNT) + 1 :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(config_map["data"][mount["subPath"]], encoding="utf-8")
    return into


def opa_mounts(manifests: list[Manifest], root: Path) -> dict[str, str]:
    """The configmap-mode opa container's mounts laid out under `root`: its replacements for
    run_opa."""
    policy = materialise_bundle(manifests, "opa", root / "policy")
    settings = materialise_settings(manifests, root / "settings")
    return {POLICY_MOUNT: str(policy), SETTINGS_MOUNT: str(settings)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=2)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(2)
        self.sock.connect(self._path)


def _unix_get(url: str) -> tuple[int, Any]:
    """GET unix:///path/to/opa.sock/v1/...: the socket path ends in .sock."""
    head, sep, path = url.removeprefix("unix://").partition(".sock")
    connection = _UnixConnection(head + sep)
    try:
        connection.request("GET", path or "/")
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body or b"null") if response.status == 200 else None
    except OSError:
        return 0, None
    finally:
        connection.close()


def http_get(url: str) -> tuple[int, Any]:
    if url.startswith("unix://"):
        return _unix_get(url)
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def wait_for_status(url: str, status: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http_get(url)[0] == status:
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def run_opa(opa: Path, args: list[str], replace: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Run OPA with the chart's arguments, moved to a scratch socket, a free loopback port and
    local paths; yield its API (unix://...opa.sock) and diagnostic (http://...) addresses."""
    socket_dir = Path(tempfile.mkdtemp(prefix="opa-", dir="/tmp"))  # short: sun_path limit
    api, diagnostic = f"unix://{socket_dir}/opa.sock", free_port()
    localised = []
    for arg in args:
        if arg.startswith("--addr="):
            assert arg == f"--addr=unix://{OPA_SOCKET}"
            arg = f"--addr={api}"
        elif arg.startswith("--diagnostic-addr="):
            arg = f"--diagnostic-addr=127.0.0.1:{diagnostic}"
        for old, new in replace.items():
            arg = arg.replace(old, new)
        localised.append(arg)
    process = subprocess.Popen(
        [str(opa), *localised], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield api, f"http://127.0.0.1:{diagnostic}"
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
