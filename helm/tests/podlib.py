"""Running what the chart renders as local processes: policy files laid out as the
kubelet mounts them, and OPA started with the rendered arguments on free loopback ports."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chartlib import FULLNAME, Manifest, container, find, statefulset_pod

POLICY_MOUNT = "/policies"


def materialise_policies(manifests: list[Manifest], container_name: str, into: Path) -> Path:
    """Lay out the policy files as the kubelet mounts them into `container_name`."""
    config_map = find(manifests, "ConfigMap", f"{FULLNAME}-policies")
    pod = statefulset_pod(manifests)
    (volume,) = [v for v in pod["volumes"] if v["name"] == "policies"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    key_of_path = {item["path"]: item["key"] for item in volume["configMap"]["items"]}
    mounts = [m for m in container(pod, container_name)["volumeMounts"] if m["name"] == "policies"]
    assert mounts
    for mount in mounts:
        assert mount["readOnly"] is True
        assert mount["mountPath"] == f"{POLICY_MOUNT}/{mount['subPath']}"
        target = into / mount["mountPath"].removeprefix(f"{POLICY_MOUNT}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(config_map["data"][key_of_path[mount["subPath"]]].encode())
    return into


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str) -> tuple[int, Any]:
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
    """Run OPA with the chart's arguments, moved to free loopback ports and local paths."""
    api, diagnostic = free_port(), free_port()
    localised = []
    for arg in args:
        if arg.startswith("--addr="):
            assert arg == "--addr=127.0.0.1:8181"
            arg = f"--addr=127.0.0.1:{api}"
        elif arg.startswith("--diagnostic-addr="):
            arg = f"--diagnostic-addr=127.0.0.1:{diagnostic}"
        for old, new in replace.items():
            arg = arg.replace(old, new)
        localised.append(arg)
    process = subprocess.Popen(
        [str(opa), *localised], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield f"http://127.0.0.1:{api}", f"http://127.0.0.1:{diagnostic}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
