"""The built policy bundle reaches OPA intact, pods roll when it changes, and the real OPA
serves it with the arguments the chart renders, from the ConfigMap or a bundle server."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
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
    statefulset_pod,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from podlib import (
    POLICY_BUNDLE,
    SETTINGS_MOUNT,
    http_get,
    materialise_bundle,
    materialise_settings,
    opa_mounts,
    run_opa,
    wait_for_status,
)

from sidecar.opa.bundle import build, read_manifest, served_files

CHART_BUNDLE = CHART / "files" / POLICY_BUNDLE
SETTINGS_DEFAULTS = CHART / "files" / "vir-settings-defaults.yaml"


def _annotations(manifests: list[Manifest]) -> dict[str, str]:
    return dict(find(manifests, "StatefulSet")["spec"]["template"]["metadata"]["annotations"])


def test_the_configmap_holds_the_chart_bundle_byte_for_byte(helm: Helm, tmp_path: Path) -> None:
    manifests = helm.variant("pdp")
    mounted = materialise_bundle(manifests, "opa", tmp_path / "policy")
    assert (mounted / POLICY_BUNDLE).read_bytes() == CHART_BUNDLE.read_bytes()
    # vir-sidecar reads no policy files: OPA names the revision with each decision.
    sidecar = container(statefulset_pod(manifests), "vir-sidecar")
    assert all(m["name"] != "policies" for m in sidecar["volumeMounts"])


def test_the_chart_bundle_is_the_one_policies_builds(opa: Path, tmp_path: Path) -> None:
    """make chart-bundle is reproducible, so a stale chart bundle shows as different bytes."""
    built = build(ROOT / "policies", tmp_path / POLICY_BUNDLE, opa_binary=str(opa))
    assert built.path.read_bytes() == CHART_BUNDLE.read_bytes(), "run make chart-bundle"
    assert read_manifest(CHART_BUNDLE)["revision"] == built.revision


def _chart_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "vir-sidecar"
    shutil.copytree(CHART, copy)
    return copy


def test_pods_roll_when_a_policy_changes(helm: Helm, tmp_path: Path) -> None:
    chart = _chart_copy(tmp_path)
    before = _annotations(helm.variant("pdp", chart=chart))
    bundle = chart / "files" / POLICY_BUNDLE
    bundle.write_bytes(bundle.read_bytes() + b"\0")
    after = _annotations(helm.variant("pdp", chart=chart))
    assert after["checksum/policies"] != before["checksum/policies"]
    assert after["checksum/config"] == before["checksum/config"]
    assert after["checksum/settings"] == before["checksum/settings"]


def test_pods_roll_when_the_configuration_changes(helm: Helm) -> None:
    polled = _annotations(helm.variant("bundle", "policy.bundle.polling.maxDelaySeconds=300"))
    assert polled["checksum/config"] != _annotations(helm.variant("bundle"))["checksum/config"]


def test_pods_roll_when_the_bundle_changes(helm: Helm) -> None:
    before = _annotations(helm.variant("bundle"))
    after = _annotations(
        helm.variant(
            "bundle",
            "policy.bundle.url=https://bundle-server.policy.svc/bundles/vir-2026.12.0.tar.gz",
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
        "/etc/opa/settings/bundle/vir/config/data.json": "settings",
        "/etc/opa/settings/bundle/.manifest": "settings",
    }


# --- the real OPA, with the rendered arguments ---------------------------------------


def test_opa_serves_the_configmap_bundle_without_tests(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    manifests = helm.variant("pdp")
    args = args_of(container(statefulset_pod(manifests), "opa"))
    with run_opa(opa, args, opa_mounts(manifests, tmp_path)) as (api, diagnostic):
        assert wait_for_status(f"{diagnostic}/health?bundles", 200, 20), "OPA never became healthy"
        status, policies = http_get(f"{api}/v1/policies")
        assert status == 200
        served = sorted(Path(p["id"]).name for p in policies["result"])
        assert served == sorted(
            p.name for p in served_files(ROOT / "policies") if p.suffix == ".rego"
        )
        status, config = http_get(f"{api}/v1/data/vir/config")
        assert status == 200
        assert config["result"] == yaml.safe_load(SETTINGS_DEFAULTS.read_text(encoding="utf-8"))
        status, problems = http_get(f"{api}/v1/data/vir/authz/settings_problems")
        assert (status, problems["result"]) == (200, [])
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


def _signed_bundle(opa: Path, tmp_path: Path) -> tuple[Path, str]:
    """The bundle of policies/, signed like a release pipeline signs it; the site serving it
    and its revision."""
    private_key = tmp_path / "signing.pem"
    private_key.write_bytes(_key_pair()[0])
    site = tmp_path / "site"
    built = build(
        ROOT / "policies",
        site / "bundles" / "vir-test.1.tar.gz",
        opa_binary=str(opa),
        signing_key=private_key,
    )
    return site, built.revision


def _bundle_opa_args(
    helm: Helm, url: str, tmp_path: Path, public_key: bytes
) -> tuple[list[str], dict[str, str]]:
    manifests = helm.variant(
        "bundle",
        f"policy.bundle.url={url}/bundles/vir-test.1.tar.gz",
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
        SETTINGS_MOUNT: str(materialise_settings(manifests, tmp_path / "settings")),
    }
    return args, replace


def test_opa_loads_the_signed_bundle_with_the_rendered_configuration(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    site, revision = _signed_bundle(opa, tmp_path)
    with _serve_directory(site) as url:
        args, replace = _bundle_opa_args(helm, url, tmp_path, _key_pair()[1])
        with run_opa(opa, args, replace) as (api, diagnostic):
            assert wait_for_status(f"{diagnostic}/health?bundles", 200, 20), (
                "bundle never activated"
            )
            status, bundles = http_get(f"{api}/v1/data/system/bundles")
            assert status == 200
            assert bundles["result"]["vir"]["manifest"]["revision"] == revision
            # The settings bundle beside it, unsigned: the key verifies the rules only.
            settings = bundles["result"][f"{tmp_path}/settings/bundle"]["manifest"]
            assert settings["roots"] == ["vir/config"]
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
    with _serve_directory(_signed_bundle(opa, tmp_path)[0]) as url:
        args, replace = _bundle_opa_args(helm, url, tmp_path, wrong_key)
        with run_opa(opa, args, replace) as (_api, diagnostic):
            assert wait_for_status(f"{diagnostic}/health", 200, 20), "OPA never started"
            # Alive (liveness passes) but never ready: the bundle is not activated.
            assert not wait_for_status(f"{diagnostic}/health?bundles", 200, 4)
