"""values.yaml and values.schema.json: typos and unsafe settings fail, every key is documented."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from chartlib import CHART, Helm, HelmError, container, flag, statefulset_pod

# Maps whose keys are the user's (labels, annotations, selectors, the force's tables of
# names): typed, not closed.
OPEN_MAPS = {"stringMap", "matchLabels", "settingsStringMap"}
# The force's tables keyed by its own codes (organisations, rank ladders, rank prefixes):
# each value has a schema.
TYPED_MAPS = {
    "settingsOrganisations",
    "settingsRankLadders",
    "settingsRankLadder",
    "settingsRankPrefixes",
}
# Kubernetes API objects passed through as they are (affinity terms, volume sources): the
# Kubernetes API validates them, and the chart tests render each against its schemas.
KUBERNETES_OBJECTS = {"kubernetesObject"}


def test_a_misspelt_key_is_rejected_by_the_schema(helm: Helm) -> None:
    with pytest.raises(HelmError, match="logLevl"):
        helm.variant("pdp", "sidecar.logLevl=debug")


@pytest.mark.parametrize(
    "setting",
    [
        "audit.persistance.size=1Gi",
        "opa.image.tags=1.0.0",
        "networkPolicy.grpcFrom[0].namespaceSelectr.matchLabels.a=b",
        "app.securityContext.procMount=Unmasked",
        "unknownTopLevel=1",
    ],
)
def test_unknown_keys_fail_at_every_level(helm: Helm, setting: str) -> None:
    with pytest.raises(HelmError, match=r"additional properties|not allowed"):
        helm.variant("pdp", setting)


@pytest.mark.parametrize(
    ("setting", "pattern"),
    [
        ("mode=daemon", "mode"),
        ("grpc.port=70000", "grpc/port"),
        ("sidecar.logLevel=verbose", "logLevel"),
        ("policy.bundle.signingAlgorithm=none", "signingAlgorithm"),
        ("podSecurityContext.runAsUser=0", "runAsUser"),
    ],
)
def test_bad_values_are_rejected_by_the_schema(helm: Helm, setting: str, pattern: str) -> None:
    with pytest.raises(HelmError, match=pattern):
        helm.variant("pdp", setting)


def test_missing_clearance_keys_fail_rendering(helm: Helm) -> None:
    with pytest.raises(HelmError, match=r"clearance\.keysSecret\.name is required"):
        helm.variant("pdp", "clearance.keysSecret.name=")


def test_unsigned_clearances_only_when_explicitly_allowed(helm: Helm) -> None:
    manifests = helm.variant("pdp", "clearance.keysSecret.name=", "clearance.allowUnsigned=true")
    sidecar = container(statefulset_pod(manifests), "vir-sidecar")
    assert flag(sidecar, "--clearance-keys") is None
    volumes = {v["name"] for v in statefulset_pod(manifests)["volumes"]}
    assert "clearance-keys" not in volumes


def test_missing_audit_key_fails_rendering(helm: Helm) -> None:
    with pytest.raises(HelmError, match=r"audit\.keySecret\.name is required"):
        helm.variant("pdp", "audit.keySecret.name=")


def test_chart_defaults_alone_do_not_render(helm: Helm) -> None:
    with pytest.raises(HelmError, match="is required"):
        helm.template()


@pytest.mark.parametrize(
    ("variant", "settings", "message"),
    [
        ("pdp", ["grpc.insecure=false"], "set tls.enabled=true"),
        ("tls", ["tls.secretName="], r"tls\.secretName is required"),
        ("sidecar", ["app.image.repository="], r"app\.image\.repository"),
        ("bundle", ["policy.bundle.signingKeySecret.name="], "signingKeySecret.name is required"),
        ("bundle", ["policy.bundle.url="], r"policy\.bundle\.url is required"),
        ("pdp", ["terminationGracePeriodSeconds=5"], "must exceed sidecar.gracePeriod"),
        ("pdp", ["podDisruptionBudget.minAvailable=1"], "not both"),
        ("pdp", ["app.image.repository=records"], "only used in sidecar mode"),
        ("bundle", ["autoscaling.minReplicas=5"], "must not exceed"),
    ],
)
def test_unsafe_or_inconsistent_values_fail_with_a_message(
    helm: Helm, variant: str, settings: list[str], message: str
) -> None:
    with pytest.raises(HelmError, match=message):
        helm.variant(variant, *settings)


def _walk_objects(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append((path, node))
        for key, value in node.items():
            found += _walk_objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk_objects(value, f"{path}/{index}")
    return found


def test_schema_closes_every_object() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    for path, node in _walk_objects(schema, ""):
        if path == "/properties/global":
            continue  # Helm's own values shared with parent charts.
        name = path.rsplit("/", 1)[-1]
        if name in OPEN_MAPS:
            assert node["additionalProperties"] == {"type": "string"}, path
        elif name in TYPED_MAPS:
            assert path == f"/definitions/{name}", path
            assert isinstance(node["additionalProperties"], dict), path
            assert node["additionalProperties"], path
        elif name in KUBERNETES_OBJECTS:
            assert path == f"/definitions/{name}", path
            assert "additionalProperties" not in node, path
        else:
            assert node.get("additionalProperties") is False, path


def _values_keys() -> list[tuple[int, str, bool]]:
    """(line number, key, has a comment) for every mapping key outside list items."""
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()
    keys: list[tuple[int, str, bool]] = []
    list_indent: int | None = None
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if list_indent is not None and indent > list_indent:
            continue
        list_indent = None
        if stripped.startswith("- "):
            list_indent = indent
            continue
        match = re.match(r"([A-Za-z][A-Za-z0-9_.-]*):", stripped)
        assert match, f"values.yaml:{number}: unexpected line {line!r}"
        previous = next(
            (lines[i].strip() for i in range(number - 2, -1, -1) if lines[i].strip()), ""
        )
        keys.append((number, match.group(1), previous.startswith("#") or " # " in line))
    return keys


def test_every_values_key_has_a_comment() -> None:
    keys = _values_keys()
    assert len(keys) > 100
    undocumented = [f"values.yaml:{n}: {key}" for n, key, documented in keys if not documented]
    assert not undocumented, "\n".join(undocumented)


def test_values_yaml_matches_its_schema_keys() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert set(values) == set(schema["properties"]) - {"global"}


def test_opa_runs_with_the_garbage_collector_target_of_its_value(helm: Helm) -> None:
    def gogc(*settings: str) -> list[dict[str, Any]]:
        opa = container(statefulset_pod(helm.variant("pdp", *settings)), "opa")
        return [e for e in opa.get("env", []) if e["name"] == "GOGC"]

    assert gogc() == [{"name": "GOGC", "value": "400"}]
    assert gogc("opa.gogc=150") == [{"name": "GOGC", "value": "150"}]
    with pytest.raises(HelmError, match="gogc"):
        helm.variant("pdp", "opa.gogc=10")
