"""The policies reach OPA and the sidecar intact, pods roll when they change, and the real
OPA serves them with the arguments the chart renders."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartlib import (
    CHART,
    FULLNAME,
    ROOT,
    VARIANTS,
    Helm,
    Manifest,
    args_of,
    container,
    find,
    flag,
    statefulset_pod,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from podlib import (
    POLICY_MOUNT,
    http_get,
    materialise_policies,
    run_opa,
    wait_for_status,
)

from sidecar import policy_bundle


def _annotations(manifests: list[Manifest]) -> dict[str, str]:
    return dict(find(manifests, "StatefulSet")["spec"]["template"]["metadata"]["annotations"])


@pytest.mark.parametrize("name", ["opa", "vir-sidecar"])
def test_mounted_policies_are_exactly_the_served_files(
    helm: Helm, tmp_path: Path, name: str
) -> None:
    source = ROOT / "policies"
    mounted = materialise_policies(helm.variant("pdp"), name, tmp_path)
    assert sorted(p.relative_to(mounted) for p in mounted.rglob("*") if p.is_file()) == list(
        policy_bundle.served_files(source)
    )
    # So the revision vir-sidecar reports is the digest of the policies in the repository.
    assert policy_bundle.revision(mounted) == policy_bundle.revision(source)


def test_chart_copy_of_the_policies_is_current() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "sync-chart-policies.sh"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_sync_check_fails_on_drift(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "sync-chart-policies.sh", copy / "scripts")
    shutil.copytree(ROOT / "policies", copy / "policies")
    script = str(copy / "scripts" / "sync-chart-policies.sh")
    assert subprocess.run([script, "--check"], capture_output=True, check=False).returncode == 1
    subprocess.run([script], capture_output=True, check=True)
    assert subprocess.run([script, "--check"], capture_output=True, check=False).returncode == 0
    chart_copy = copy / "helm" / "vir-sidecar" / "files" / "policies"
    assert not list(chart_copy.rglob("*_test.rego"))
    assert not list(chart_copy.rglob("scenarios"))
    (copy / "policies" / "vir" / "authz" / "decision.rego").write_text("package changed\n")
    drift = subprocess.run([script, "--check"], capture_output=True, text=True, check=False)
    assert drift.returncode == 1
    assert "sync-chart-policies.sh" in drift.stderr


def _chart_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "vir-sidecar"
    shutil.copytree(CHART, copy)
    return copy


def test_pods_roll_when_a_policy_changes(helm: Helm, tmp_path: Path) -> None:
    chart = _chart_copy(tmp_path)
    before = _annotations(helm.variant("pdp", chart=chart))
    policy = chart / "files" / "policies" / "vir" / "authz" / "ranks.rego"
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# amended\n", encoding="utf-8")
    after = _annotations(helm.variant("pdp", chart=chart))
    assert after["checksum/policies"] != before["checksum/policies"]
    assert after["checksum/config"] == before["checksum/config"]


def test_pods_roll_when_the_configuration_changes(helm: Helm) -> None:
    polled = _annotations(helm.variant("bundle", "policy.bundle.polling.maxDelaySeconds=300"))
    assert polled["checksum/config"] != _annotations(helm.variant("bundle"))["checksum/config"]


def test_pods_roll_when_the_bundle_changes(helm: Helm) -> None:
    before = _annotations(helm.variant("bundle"))
    after = _annotations(
        helm.variant(
            "bundle",
            "policy.bundle.url=https://bundle-server.policy.svc/bundles/vir-2026.12.0.tar.gz",
            "policy.bundle.revision=vir-2026.12.0",
        )
    )
    assert after["checksum/policies"] != before["checksum/policies"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_checksums_are_stable(helm: Helm, variant: str) -> None:
    assert _annotations(helm.variant(variant)) == _annotations(helm.variant(variant))


def _opa_config(manifests: list[Manifest]) -> dict[str, Any]:
    data = find(manifests, "ConfigMap", f"{FULLNAME}-config")["data"]
    return dict(yaml.safe_load(data["opa-config.yaml"]))


def test_bundle_config_points_at_the_mounted_secrets(helm: Helm) -> None:
    manifests = helm.variant("bundle")
    config = _opa_config(manifests)
    service = config["services"]["policy"]
    assert service["url"] == "https://bundle-server.policy.svc"
    assert service["credentials"] == {"bearer": {"token_path": "/etc/opa/bundle-token/token"}}
    assert service["tls"] == {"ca_cert": "/etc/opa/bundle-ca/ca.crt"}
    bundle = config["bundles"]["vir"]
    assert bundle["resource"] == "bundles/vir-2026.11.1.tar.gz"
    assert bundle["signing"] == {"keyid": "vir-bundle"}
    assert config["keys"] == {"vir-bundle": {"algorithm": "RS256"}}
    opa = container(statefulset_pod(manifests), "opa")
    assert "--set-file=keys.vir-bundle.key=/etc/opa/bundle-key/public.pem" in args_of(opa)
    mounts = {m["mountPath"]: m["name"] for m in opa["volumeMounts"]}
    assert mounts == {
        "/run/opa": "opa-socket",
        "/etc/opa/config": "opa-config",
        "/etc/opa/bundle-key": "bundle-key",
        "/etc/opa/bundle-token": "bundle-token",
        "/etc/opa/bundle-ca": "bundle-ca",
    }


# --- the real OPA, with the rendered arguments ---------------------------------------


def test_opa_serves_the_configmap_policies_without_tests(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    manifests = helm.variant("pdp")
    mounted = materialise_policies(manifests, "opa", tmp_path / "policies")
    # A test file that slipped into the bundle is still not served (--ignore).
    (mounted / "vir" / "authz" / "stray_test.rego").write_text("package vir.authz\n")
    args = args_of(container(statefulset_pod(manifests), "opa"))
    with run_opa(opa, args, {POLICY_MOUNT: str(mounted)}) as (api, diagnostic):
        assert wait_for_status(f"{diagnostic}/health?bundles", 200, 20), "OPA never became healthy"
        status, policies = http_get(f"{api}/v1/policies")
        assert status == 200
        served = sorted(Path(p["id"]).name for p in policies["result"])
        assert served == sorted(
            p.name for p in policy_bundle.served_files(ROOT / "policies") if p.suffix == ".rego"
        )
        status, config = http_get(f"{api}/v1/data/vir/config")
        assert status == 200
        assert config["result"]
        # The diagnostic listener, on the pod IP, serves health and metrics only.
        assert http_get(f"{diagnostic}/v1/data")[0] == 404
        assert http_get(f"{diagnostic}/v1/policies")[0] == 404
        assert http_get(f"{diagnostic}/health")[0] == 200


@functools.cache
def _key_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@contextlib.contextmanager
def _serve_directory(directory: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _signed_bundle(opa: Path, tmp_path: Path) -> Path:
    """A bundle of the served policies, signed like a release pipeline would sign it."""
    source = tmp_path / "bundle-src"
    for relative in policy_bundle.served_files(ROOT / "policies"):
        target = source / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "policies" / relative, target)
    private_key = tmp_path / "signing.pem"
    private_key.write_bytes(_key_pair()[0])
    site = tmp_path / "site"
    (site / "bundles").mkdir(parents=True)
    subprocess.run(
        [
            str(opa), "build", "--bundle", str(source),
            "--signing-key", str(private_key), "--signing-alg", "RS256",
            "--verification-key-id", "vir-bundle",
            "--revision", "vir-test.1",
            "--output", str(site / "bundles" / "vir-test.1.tar.gz"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return site


def _bundle_opa_args(
    helm: Helm, url: str, tmp_path: Path, public_key: bytes
) -> tuple[list[str], dict[str, str]]:
    manifests = helm.variant(
        "bundle",
        f"policy.bundle.url={url}/bundles/vir-test.1.tar.gz",
        "policy.bundle.revision=vir-test.1",
        "policy.bundle.bearerTokenSecret.name=",
        "policy.bundle.caSecret.name=",
        "policy.bundle.polling.minDelaySeconds=1",
        "policy.bundle.polling.maxDelaySeconds=2",
    )
    config_file = tmp_path / "opa-config.yaml"
    config_file.write_text(
        find(manifests, "ConfigMap", f"{FULLNAME}-config")["data"]["opa-config.yaml"]
    )
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(public_key)
    args = args_of(container(statefulset_pod(manifests), "opa"))
    replace = {
        "/etc/opa/config/opa-config.yaml": str(config_file),
        "/etc/opa/bundle-key/public.pem": str(key_file),
    }
    assert flag(container(statefulset_pod(manifests), "vir-sidecar"), "--policy-revision") == (
        "vir-test.1"
    )
    return args, replace


def test_opa_loads_the_signed_bundle_with_the_rendered_configuration(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    with _serve_directory(_signed_bundle(opa, tmp_path)) as url:
        args, replace = _bundle_opa_args(helm, url, tmp_path, _key_pair()[1])
        with run_opa(opa, args, replace) as (api, diagnostic):
            assert wait_for_status(f"{diagnostic}/health?bundles", 200, 20), (
                "bundle never activated"
            )
            status, bundles = http_get(f"{api}/v1/data/system/bundles")
            assert status == 200
            assert bundles["result"]["vir"]["manifest"]["revision"] == "vir-test.1"
            status, config = http_get(f"{api}/v1/data/vir/config")
            assert status == 200
            assert config["result"]


def test_opa_refuses_a_bundle_signed_with_another_key(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    wrong_key = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with _serve_directory(_signed_bundle(opa, tmp_path)) as url:
        args, replace = _bundle_opa_args(helm, url, tmp_path, wrong_key)
        with run_opa(opa, args, replace) as (_api, diagnostic):
            assert wait_for_status(f"{diagnostic}/health", 200, 20), "OPA never started"
            # Alive (liveness passes) but never ready: the bundle is not activated.
            assert not wait_for_status(f"{diagnostic}/health?bundles", 200, 4)
