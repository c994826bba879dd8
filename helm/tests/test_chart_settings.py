"""policy.settings and policy.settingsFrom: the force's settings reach OPA as the sidecar would
serve them, the schema refuses a malformed table, and the pods roll when they change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartlib import (
    CHART,
    CI_VALUES,
    CUSTOM_KINDS,
    FULLNAME,
    KUBE_VERSIONS,
    ROOT,
    VARIANTS,
    Helm,
    HelmError,
    Manifest,
    args_of,
    container,
    find,
    statefulset_pod,
    validate_manifest,
)
from podlib import SETTINGS_MOUNT

from sidecar.opa import settings

DEFAULTS_FILE = CHART / "files" / "vir-settings-defaults.yaml"
SETTINGS_BUNDLE = f"{SETTINGS_MOUNT}/bundle"


def _defaults() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return loaded


def _served(manifests: list[Manifest]) -> tuple[bytes, dict[str, Any]]:
    """data.json and the parsed .manifest of the settings ConfigMap."""
    data = find(manifests, "ConfigMap", f"{FULLNAME}-settings")["data"]
    return data["data.json"].encode("utf-8"), json.loads(data["manifest"])


def _annotations(manifests: list[Manifest]) -> dict[str, str]:
    return dict(find(manifests, "StatefulSet")["spec"]["template"]["metadata"]["annotations"])


def test_the_chart_defaults_are_the_policys(tmp_path: Path) -> None:
    """make chart-bundle copies them; a stale copy fails here as in make chart-bundle-check."""
    shipped = ROOT / "policies" / "vir" / "config" / "data.yaml"
    assert DEFAULTS_FILE.read_bytes() == shipped.read_bytes(), "run make chart-bundle"


@pytest.mark.parametrize("variant", VARIANTS)
def test_opa_serves_the_settings_of_each_variant_as_the_sidecar_writes_them(
    helm: Helm, variant: str
) -> None:
    """The shipped defaults, with the production values' settings over them."""
    values = yaml.safe_load((CI_VALUES / f"{variant}-values.yaml").read_text(encoding="utf-8"))
    given = values.get("policy", {}).get("settings", {})
    assert bool(given) == (variant == "production")
    manifests = helm.variant(variant)
    data, manifest = _served(manifests)
    assert data == settings.canonical_json(settings.merge(_defaults(), given))
    assert manifest == {"revision": settings.revision_of(data), "roots": ["vir/config"]}
    opa = container(statefulset_pod(manifests), "opa")
    args = args_of(opa)
    assert args.count(SETTINGS_BUNDLE) == 1
    assert args.index(SETTINGS_BUNDLE) > args.index("--bundle")


# Every kind of change: a list replaced, a mapping merged into, a new key, null and false
# replacing values, numbers, and text that JSON escapes.
FORCE: dict[str, Any] = {
    "allowed_callers": ["spiffe://greater-manchester.police.uk/records-system"],
    "organisation_aliases": {"gmp": "greater_manchester"},
    "categories": {
        "RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"},
        "RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "inspector"},
        "RECORD_CATEGORY_OTHER": {"minimum_clearance_rank": None},
    },
    "ranks": {"temporary_rank_counts": False, "aliases": {"det_supt": "superintendent"}},
    "rank_ladders": {"iopc": {"grade_2": 40}},
    "counselling_providers": {"safespace": "Safe <Space> & Café Counselling, Salford"},
    "broad_request_terms": ["all", "every"],
    "maximum_clearance_days": 30,
    "notice_clock_skew_seconds": 0.5,
}


@pytest.mark.parametrize("variant", ["pdp", "bundle"])
def test_settings_are_merged_over_the_defaults_byte_for_byte_as_the_sidecar_merges_them(
    helm: Helm, variant: str
) -> None:
    data, manifest = _served(helm.variant(variant, values=[{"policy": {"settings": FORCE}}]))
    merged = settings.merge(_defaults(), FORCE)
    assert data == settings.canonical_json(merged)
    assert manifest["revision"] == settings.revision_of(data)
    served = json.loads(data)
    assert served["categories"]["RECORD_CATEGORY_EDUCATION"] == {"minimum_clearance_rank": None}
    assert served["organisation_aliases"]["westyorkshire"] == "west_yorkshire"
    assert served["rank_ladders"]["iopc"] == {"grade_2": 40}
    assert served["ranks"]["acting_rank_counts"] is False


def test_a_null_from_the_command_line_replaces_a_setting(helm: Helm) -> None:
    data, _ = _served(
        helm.variant(
            "pdp",
            "policy.settings.categories.RECORD_CATEGORY_COUNSELLING.minimum_clearance_rank=null",
        )
    )
    counselling = json.loads(data)["categories"]["RECORD_CATEGORY_COUNSELLING"]
    assert counselling == {"minimum_clearance_rank": None}


@pytest.mark.parametrize(
    ("settings_value", "pattern"),
    [
        ({"allowed_callers": "records-system"}, "allowed_callers"),
        ({"allowed_caller": ["records-system"]}, "allowed_caller"),
        ({"organisations": {"kent": {"bodies": "police"}}}, "bodies"),
        ({"organisations": {"kent": {"force": "Kent"}}}, "force"),
        ({"organisation_aliases": {"gmp": 7}}, "gmp"),
        ({"rank_ladders": {"territorial": {"constable": "ten"}}}, "constable"),
        ({"ranks": {"temporary_rank_counts": "yes"}}, "temporary_rank_counts"),
        ({"ranks": {"prefixes": {"prob": "probationer"}}}, "prob"),
        ({"categories": {"RECORD_CATEGORY_HEALTH": {"minimum_clearance_rank": None}}}, "HEALTH"),
        ({"maximum_clearance_days": 0}, "maximum_clearance_days"),
        ({"broad_request_terms": []}, "broad_request_terms"),
        ({"credibility_advice": {"minimum_matches": 0.5}}, "minimum_matches"),
    ],
)
def test_the_schema_refuses_a_malformed_table(
    helm: Helm, settings_value: dict[str, Any], pattern: str
) -> None:
    with pytest.raises(HelmError, match=pattern):
        helm.variant("pdp", values=[{"policy": {"settings": settings_value}}])


def test_pods_roll_when_the_settings_change(helm: Helm, tmp_path: Path) -> None:
    before = _annotations(helm.variant("pdp"))
    after = _annotations(helm.variant("pdp", values=[{"policy": {"settings": FORCE}}]))
    assert after["checksum/settings"] != before["checksum/settings"]
    assert after["checksum/policies"] == before["checksum/policies"]
    named = _annotations(helm.variant("pdp", "policy.settingsFrom.configMap.name=force"))
    renamed = _annotations(helm.variant("pdp", "policy.settingsFrom.configMap.name=force-v2"))
    assert renamed["checksum/settings"] != named["checksum/settings"]
    chart = tmp_path / "vir-sidecar"
    shutil.copytree(CHART, chart)
    defaults = chart / "files" / "vir-settings-defaults.yaml"
    defaults.write_text(defaults.read_text() + "maximum_clearance_days: 60\n")
    changed = _annotations(helm.variant("pdp", chart=chart))
    assert changed["checksum/settings"] != before["checksum/settings"]


@pytest.mark.parametrize(
    ("set_values", "values", "message"),
    [
        (
            ["policy.settingsFrom.configMap.name=a", "policy.settingsFrom.secret.name=b"],
            [],
            "name a configMap or a secret, not both",
        ),
        (
            ["policy.settingsFrom.secret.name=b"],
            [{"policy": {"settings": {"allowed_callers": ["x"]}}}],
            "in policy.settings or in policy.settingsFrom, not both",
        ),
    ],
)
def test_one_source_of_settings_at_a_time(
    helm: Helm, set_values: list[str], values: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(HelmError, match=message):
        helm.variant("pdp", *set_values, values=values)


def test_a_chart_without_its_settings_defaults_does_not_render(helm: Helm, tmp_path: Path) -> None:
    chart = tmp_path / "vir-sidecar"
    shutil.copytree(CHART, chart)
    (chart / "files" / "vir-settings-defaults.yaml").unlink()
    with pytest.raises(HelmError, match="run make chart-bundle"):
        helm.variant("pdp", chart=chart)


@pytest.mark.parametrize(("kind", "source_key"), [("configMap", "name"), ("secret", "secretName")])
@pytest.mark.parametrize("variant", ["pdp", "sidecar", "bundle"])
def test_settings_from_an_object_go_through_the_settings_init_container(
    helm: Helm, variant: str, kind: str, source_key: str
) -> None:
    manifests = helm.variant(
        variant,
        f"policy.settingsFrom.{kind}.name=gmp-settings",
        f"policy.settingsFrom.{kind}.key=settings.json",
    )
    spec = statefulset_pod(manifests)
    assert spec["initContainers"][0]["name"] == "settings"
    init = container(spec, "settings")
    assert "restartPolicy" not in init  # runs to the end before OPA starts
    assert init["image"] == container(spec, "vir-sidecar")["image"]
    assert args_of(init) == [
        "settings",
        "build",
        "/etc/vir-sidecar/settings-source/settings.json",
        "--defaults=/etc/vir-sidecar/settings-defaults/vir-settings-defaults.yaml",
        f"--out={SETTINGS_BUNDLE}",
    ]
    assert init["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["settings"]["emptyDir"]["medium"] == "Memory"
    source = volumes["settings-source"][kind]
    assert source[source_key] == "gmp-settings"
    assert source["items"] == [{"key": "settings.json", "path": "settings.json"}]
    defaults = find(manifests, "ConfigMap", f"{FULLNAME}-settings-defaults")
    assert volumes["settings-defaults"]["configMap"]["name"] == defaults["metadata"]["name"]
    assert defaults["data"]["vir-settings-defaults.yaml"] == DEFAULTS_FILE.read_text()
    assert not [m for m in manifests if m["metadata"]["name"] == f"{FULLNAME}-settings"]
    opa_mounts = [m for m in container(spec, "opa")["volumeMounts"] if m["name"] == "settings"]
    assert opa_mounts == [{"name": "settings", "mountPath": SETTINGS_MOUNT, "readOnly": True}]
    init_mounts = {m["name"]: m for m in init["volumeMounts"]}
    assert init_mounts["settings"] == {"name": "settings", "mountPath": SETTINGS_MOUNT}
    assert SETTINGS_BUNDLE in args_of(container(spec, "opa"))
    for manifest in manifests:
        if manifest["kind"] not in CUSTOM_KINDS:
            validate_manifest(manifest, KUBE_VERSIONS[-1])
