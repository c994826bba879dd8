"""Which rules and which settings made a decision, from OPA's provenance and manifests."""

from __future__ import annotations

import pytest

from sidecar.opa.revision import (
    bundle_revisions,
    claims,
    manifest_roots,
    policy_revision,
)

RULES = "sha256:" + "a" * 64
SETTINGS = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("provenance", "revisions"),
    [
        ({"bundles": {"/run/rules.tar.gz": {"revision": RULES}}}, (("/run/rules.tar.gz", RULES),)),
        ({"bundles": {"b": {"revision": "2"}, "a": {"revision": "1"}}}, (("a", "1"), ("b", "2"))),
        ({"bundles": {"dir": {"revision": ""}, "x": {}}}, ()),
        ({"bundles": ["not", "a", "mapping"]}, ()),
        ({"version": "1.0"}, ()),
        (None, ()),
    ],
)  # fmt: skip
def test_bundle_revisions_are_read_from_provenance(provenance: object, revisions: object) -> None:
    assert bundle_revisions(provenance) == revisions


def test_manifest_roots_are_read_from_the_bundles_document() -> None:
    bundles = {
        "rules": {"manifest": {"roots": ["vir/authz", "vir/defaults"], "revision": RULES}},
        "/etc/opa/settings": {"manifest": {"roots": ["vir/config"]}},
        "legacy": {"manifest": {"revision": "r"}},  # no roots: OPA's default claims everything
        "odd": {"manifest": {"roots": "vir"}},
        "broken": "x",
    }
    assert manifest_roots(bundles) == {
        "rules": ("vir/authz", "vir/defaults"),
        "/etc/opa/settings": ("vir/config",),
        "legacy": ("",),
    }
    assert manifest_roots(None) == {}


@pytest.mark.parametrize(
    ("roots", "path", "claimed"),
    [
        (("vir/authz",), "vir/authz", True),
        (("vir",), "vir/config", True),
        (("",), "vir/config", True),
        (("vir/config",), "vir/configuration", False),
        (("vir/authz", "vir/defaults"), "vir/config", False),
        ((), "vir/config", False),
    ],
)
def test_a_root_claims_itself_and_what_is_below_it(
    roots: tuple[str, ...], path: str, claimed: bool
) -> None:
    assert claims(roots, path) is claimed


def test_rules_and_settings_are_named_by_the_roots_they_claim_whatever_the_bundle_names() -> None:
    revisions = (("/etc/opa/settings", SETTINGS), ("vir", RULES))
    roots = {"vir": ("vir/authz", "vir/defaults"), "/etc/opa/settings": ("vir/config",)}
    assert policy_revision(revisions, roots) == f"rules@{RULES}+settings@{SETTINGS}"


def test_one_bundle_holding_rules_and_settings_is_named_by_its_own_revision() -> None:
    assert policy_revision((("vir", RULES),), {"vir": ("vir",)}) == RULES


def test_a_missing_part_is_left_out_and_nothing_known_gives_none() -> None:
    assert policy_revision((("s", SETTINGS),), {"s": ("vir/config",)}) == f"settings@{SETTINGS}"
    assert policy_revision((("r", RULES),), {"r": ("vir/authz",)}) == f"rules@{RULES}"
    assert policy_revision((("other", RULES),), {"other": ("system",)}) is None
    assert policy_revision((), {}) is None
