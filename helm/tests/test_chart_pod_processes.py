"""A rendered pod, run as real processes: OPA and vir-sidecar with the arguments, files and
probes the chart gives them, moved from the pod's paths and ports to a scratch directory,
a scratch unix socket for OPA's API and free loopback ports. What this cannot show is
Kubernetes itself; everything the containers are told is exercised."""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from chartlib import (
    CHART,
    CI_VALUES,
    FULLNAME,
    ROOT,
    Helm,
    Manifest,
    args_of,
    container,
    find,
    flag,
    notes_check_request,
    notes_command,
    render_notes,
    statefulset_pod,
)
from cryptography.hazmat.primitives.asymmetric import ec
from podlib import (
    OPA_SOCKET,
    POLICY_BUNDLE,
    POLICY_MOUNT,
    SETTINGS_MOUNT,
    free_port,
    http_get,
    materialise_bundle,
    opa_mounts,
    run_opa,
    wait_for_status,
)
from testpki import SERVER_NAME, Pki

from devtools.dated_requests import EXAMPLES_TIME, elapsed_since, moved
from sidecar.opa import settings
from sidecar.opa.bundle import read_manifest

AUDIT_KEY = "5a" * 32


def _b64url(number: int, length: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(length, "big")).rstrip(b"=").decode()


def _jwks() -> str:
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    key = {
        "kty": "EC",
        "crv": "P-256",
        "kid": "test-force",
        "use": "sig",
        "x": _b64url(public.x, 32),
        "y": _b64url(public.y, 32),
    }
    return json.dumps({"keys": [key]})


@dataclass(frozen=True)
class Pod:
    """Where the pod's paths and ports landed on this machine."""

    root: Path
    grpc: str
    metrics: str

    def local(self, text: str) -> str:
        for pod_path, here in (
            ("/etc/vir-sidecar", self.root / "etc"),
            ("/var/lib/vir-sidecar", self.root / "var"),
        ):
            text = text.replace(pod_path, str(here))
        return text


def _laid_out_pod(manifests: list[Manifest], pki: Pki, name: str) -> tuple[Manifest, Pod]:
    """The rendered pod spec, and a pod of that name with its files laid out and free ports."""
    pod = Pod(pki.ca.parent.parent / name, f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}")
    _lay_out_files(manifests, pod, pki)
    return statefulset_pod(manifests), pod


def _lay_out_files(manifests: list[Manifest], pod: Pod, pki: Pki | None) -> None:
    """Put every Secret and ConfigMap file where the rendered mounts say."""
    spec = statefulset_pod(manifests)
    sidecar = container(spec, "vir-sidecar")
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in sidecar["volumeMounts"]:
        volume = volumes.get(mount["name"], {})
        source = volume.get("secret") or volume.get("configMap")
        if source is None or mount["name"] == "policies":
            continue
        directory = Path(pod.local(mount["mountPath"]))
        directory.mkdir(parents=True, exist_ok=True)
        for item in source["items"]:
            key = item["key"]
            if mount["name"] == "audit-key":
                data = AUDIT_KEY.encode()
            elif mount["name"] == "clearance-keys":
                data = _jwks().encode()
            else:
                assert pki is not None, f"no test material for {mount['name']}/{key}"
                server = {"tls.crt": pki.server_cert, "tls.key": pki.server_key}
                client = {"tls.crt": pki.client_cert, "tls.key": pki.client_key}
                table = client if mount["name"] == "probe-client" else server
                data = (table.get(key) or pki.ca).read_bytes()
            (directory / item["path"]).write_bytes(data)


def _localise_sidecar_args(args: list[str], pod: Pod, opa_api: str) -> list[str]:
    localised = []
    for arg in args:
        if arg.startswith("--listen="):
            arg = f"--listen={pod.grpc}"
        elif arg.startswith("--metrics-listen="):
            arg = f"--metrics-listen={pod.metrics}"
        elif arg.startswith("--opa-url="):
            assert arg == f"--opa-url=unix://{OPA_SOCKET}"
            arg = f"--opa-url={opa_api}"
        localised.append(pod.local(arg))
    return localised


@contextlib.contextmanager
def _run_sidecar(
    args: list[str], log: int = subprocess.DEVNULL
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sidecar", *args],
        stdout=log,
        stderr=subprocess.PIPE,
        env={"PATH": str(Path(sys.executable).parent), "HOME": "/nonexistent"},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _probe(probe: Manifest, pod: Pod) -> subprocess.CompletedProcess[str]:
    """Run a rendered probe here. An exec probe's `vir-sidecar` is the image's; a native
    gRPC probe asks the health service for "" in plaintext, as the kubelet does."""
    if "grpc" in probe:
        assert probe["grpc"] == {"port": 50051}
        command = ["vir-sidecar", "health", "--address", "127.0.0.1:50051"]
    else:
        command = probe["exec"]["command"]
    assert command[:2] == ["vir-sidecar", "health"]
    localised = [pod.local(part) for part in command[2:]]
    index = localised.index("--address")
    assert localised[index + 1] == "127.0.0.1:50051"
    localised[index + 1] = pod.grpc
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "health", *localised],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def _wait_for_probe(probe: Manifest, pod: Pod, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    result = _probe(probe, pod)
    while result.returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        result = _probe(probe, pod)
    assert result.returncode == 0, result.stderr


def _notes_check(
    helm: Helm, root: Path, variant: str, pod: Pod, *settings: str
) -> subprocess.CompletedProcess[str]:
    """Run the `vir-sidecar check` of the install notes here, its request on standard input."""
    notes = render_notes(helm, root / "notes", variant, *settings)
    args = [pod.local(arg) for arg in notes_command(notes, "vir-sidecar check")]
    assert args[0] == "check"
    address = args.index("--address")
    assert args[address + 1] == "127.0.0.1:50051"
    args[address + 1] = pod.grpc
    return subprocess.run(
        [sys.executable, "-m", "sidecar", *args],
        input=notes_check_request(notes),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


@pytest.mark.parametrize("variant", ["pdp", "sidecar", "tls"])
def test_rendered_pod_serves_checks(helm: Helm, opa: Path, pki: Pki, variant: str) -> None:
    extra = ["tls.serverName=" + SERVER_NAME] if variant == "tls" else []
    manifests = helm.variant(variant, *extra)
    spec, pod = _laid_out_pod(manifests, pki, f"pod-{variant}")
    root = pod.root
    opa_args = args_of(container(spec, "opa"))
    sidecar = container(spec, "vir-sidecar")
    with run_opa(opa, opa_args, opa_mounts(manifests, root)) as (api, diagnostic):
        # The kubelet's OPA startup probe, then vir-sidecar starts (native sidecar order).
        assert wait_for_status(f"{diagnostic}/health?bundles", 200, 20)
        with _run_sidecar(_localise_sidecar_args(args_of(sidecar), pod, api)) as process:
            _wait_for_probe(sidecar["startupProbe"], pod, 30)
            assert _probe(sidecar["readinessProbe"], pod).returncode == 0
            assert _probe(sidecar["livenessProbe"], pod).returncode == 0

            check = [sys.executable, "-m", "sidecar", "check", "--address", pod.grpc]
            check += ["--request", str(ROOT / "examples" / "counselling-denied.json")]
            if variant == "tls":
                check += ["--tls-ca", str(pki.ca), "--server-name", SERVER_NAME]
                check += ["--tls-cert", str(pki.client_cert), "--tls-key", str(pki.client_key)]
            answer = subprocess.run(check, capture_output=True, text=True, check=False, timeout=30)
            assert answer.returncode == 1, answer.stderr  # a deny
            decision = json.loads(answer.stdout)
            assert decision["allow"] is False
            # The revisions reported are those of the chart's bundle (built from policies/)
            # and of the settings it renders (the shipped defaults).
            bundle = read_manifest(CHART / "files" / POLICY_BUNDLE)["revision"]
            settings = json.loads((root / "settings" / "bundle" / ".manifest").read_text())
            revision = f"rules@{bundle}+settings@{settings['revision']}"
            assert decision["policy_revision"] == revision

            # The install notes' Check, as `kubectl exec -i` runs it in the container.
            tried = _notes_check(helm, root, variant, pod, *extra)
            assert tried.returncode == 1, tried.stderr  # a deny, not an error
            assert json.loads(tried.stdout)["allow"] is False

            with urllib.request.urlopen(f"http://{pod.metrics}/metrics", timeout=5) as page:
                assert b"vir_build" in page.read()

            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        audit = root / "var" / "audit"
        key_file = pod.local(flag(sidecar, "--audit-key-file") or "")
        verify = subprocess.run(
            [
                sys.executable,
                "-m",
                "sidecar",
                "audit",
                "verify",
                "--key-file",
                key_file,
                str(audit),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert http_get(f"{api}/health")[0] == 200


# --- a force's settings ----------------------------------------------------------------

# The client certificate the tests present names the caller "probe"; the settings make it
# the force's only calling system, raise counselling clearance to a superintendent, and
# let "GMP" name Greater Manchester Police.
FORCE_SETTINGS: dict[str, object] = {
    "allowed_callers": ["probe"],
    "organisation_aliases": {"gmp": "greater_manchester"},
    "categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"}},
}
BAD_ALIAS = 'organisation_aliases["gmp"] names unknown organisation "greater_manchster"'


def _request_file(directory: Path, **changes: str) -> Path:
    """The allowed example, dated now, with requester and clearance fields changed."""
    document = json.loads((ROOT / "examples" / "counselling-allowed.json").read_text())
    document = moved(document, elapsed_since(EXAMPLES_TIME))
    for dotted, value in changes.items():
        section, field = dotted.split("__")
        document[section][field] = value
    path = directory / f"request-{len(list(directory.glob('request-*')))}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _tls_check(pod: Pod, pki: Pki, request: Path) -> subprocess.CompletedProcess[str]:
    check = [sys.executable, "-m", "sidecar", "check", "--address", pod.grpc]
    check += ["--request", str(request), "--tls-ca", str(pki.ca), "--server-name", SERVER_NAME]
    check += ["--tls-cert", str(pki.client_cert), "--tls-key", str(pki.client_key)]
    return subprocess.run(check, capture_output=True, text=True, check=False, timeout=30)


def _settings_revision(root: Path) -> str:
    manifest = json.loads((root / "settings" / "bundle" / ".manifest").read_text())
    return str(manifest["revision"])


def test_a_forces_settings_in_values_change_the_live_decision(
    helm: Helm, opa: Path, pki: Pki
) -> None:
    manifests = helm.template(
        values_files=[CI_VALUES / "tls-values.yaml"],
        # Clearances as the caller records them: what is tested here is the settings.
        set_values=[
            "tls.serverName=" + SERVER_NAME,
            "clearance.keysSecret.name=",
            "clearance.allowUnsigned=true",
        ],
        values=[{"policy": {"settings": FORCE_SETTINGS}}],
    )
    spec, pod = _laid_out_pod(manifests, pki, "pod-force-settings")
    root = pod.root
    with run_opa(opa, args_of(container(spec, "opa")), opa_mounts(manifests, root)) as (api, diag):
        assert wait_for_status(f"{diag}/health?bundles", 200, 20)
        sidecar = container(spec, "vir-sidecar")
        with _run_sidecar(_localise_sidecar_args(args_of(sidecar), pod, api)):
            _wait_for_probe(sidecar["startupProbe"], pod, 30)
            # Cleared by a detective chief inspector: enough by default, not for this force.
            raised = _tls_check(pod, pki, _request_file(root))
            assert raised.returncode == 1, raised.stderr
            assert [r["code"] for r in json.loads(raised.stdout)["reasons"]] == [
                "clearance_rank_too_low"
            ]
            # "GMP" is no organisation by default; the force's alias makes it one.
            aliased = _tls_check(
                pod,
                pki,
                _request_file(root, requester__force="GMP", clearance__authoriser_rank="supt"),
            )
            assert aliased.returncode == 0, aliased.stdout + aliased.stderr
            decision = json.loads(aliased.stdout)
            bundle = read_manifest(CHART / "files" / POLICY_BUNDLE)["revision"]
            assert (
                decision["policy_revision"] == f"rules@{bundle}+settings@{_settings_revision(root)}"
            )
    merged = settings.merge(
        yaml.safe_load((CHART / "files" / "vir-settings-defaults.yaml").read_text()),
        FORCE_SETTINGS,
    )
    assert _settings_revision(root) == settings.revision_of(settings.canonical_json(merged))


def test_settings_with_a_bad_entry_stop_vir_sidecar_naming_it(
    helm: Helm, opa: Path, pki: Pki
) -> None:
    manifests = helm.variant(
        "pdp",
        values=[{"policy": {"settings": {"organisation_aliases": {"gmp": "greater_manchster"}}}}],
    )
    spec, pod = _laid_out_pod(manifests, pki, "pod-bad-settings")
    root = pod.root
    with run_opa(opa, args_of(container(spec, "opa")), opa_mounts(manifests, root)) as (api, diag):
        # OPA holds the settings; the policy's checks of them run in vir-sidecar's start.
        assert wait_for_status(f"{diag}/health?bundles", 200, 20)
        sidecar = container(spec, "vir-sidecar")
        args = _localise_sidecar_args(args_of(sidecar), pod, api)
        with _run_sidecar(args, log=subprocess.PIPE) as process:
            assert process.wait(timeout=30) == 1
            assert process.stdout is not None
            events = [json.loads(line) for line in process.stdout.read().splitlines()]
            (failure,) = [e for e in events if e["event"] == "startup_failed"]
            assert BAD_ALIAS in failure["error"]
            assert not any(e["event"] == "serving" for e in events)


@pytest.mark.parametrize("kind", ["configMap", "secret"])
def test_settings_from_an_object_are_merged_by_the_init_container(
    helm: Helm, opa: Path, pki: Pki, kind: str
) -> None:
    manifests = helm.variant(
        "pdp",
        f"policy.settingsFrom.{kind}.name=force-settings",
        f"policy.settingsFrom.{kind}.key=gmp.yaml",
    )
    spec, pod = _laid_out_pod(manifests, pki, f"pod-settings-from-{kind}")
    root = pod.root
    # The object the force manages, and the defaults ConfigMap, where the init container
    # mounts them; the settings volume where OPA reads it.
    source = root / "etc" / "settings-source"
    source.mkdir(parents=True)
    (source / "gmp.yaml").write_text(yaml.safe_dump(FORCE_SETTINGS), encoding="utf-8")
    defaults = find(manifests, "ConfigMap", f"{FULLNAME}-settings-defaults")["data"]
    (root / "etc" / "settings-defaults").mkdir(parents=True)
    for name, text in defaults.items():
        (root / "etc" / "settings-defaults" / name).write_text(text, encoding="utf-8")
    volume = root / "settings"
    init = container(spec, "settings")
    assert spec["initContainers"][0] is init
    args = [pod.local(a).replace(SETTINGS_MOUNT, str(volume)) for a in args_of(init)]
    built = subprocess.run(
        [sys.executable, "-m", "sidecar", *args], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    policy = materialise_bundle(manifests, "opa", root / "policy")
    mounts = {SETTINGS_MOUNT: str(volume), POLICY_MOUNT: str(policy)}
    with run_opa(opa, args_of(container(spec, "opa")), mounts) as (api, diag):
        assert wait_for_status(f"{diag}/health?bundles", 200, 20)
        status, served = http_get(f"{api}/v1/data/vir/config")
        assert status == 200
        merged = settings.merge(
            yaml.safe_load(defaults["vir-settings-defaults.yaml"]), FORCE_SETTINGS
        )
        assert served["result"] == merged
        revision = settings.revision_of(settings.canonical_json(merged))
        assert _settings_revision(root) == revision
        assert built.stdout.split() == [f"{volume}/bundle", revision]
