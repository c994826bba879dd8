"""The policy revision of a decision: which rules and which settings made it.

OPA names, with each answer asked for with `?provenance`, the revision of every
bundle it serves, by bundle name. Which bundle holds the rules and which the
settings is read from the bundles' manifests (`data.system.bundles`), by the
roots they claim, so any names do: the sidecar's own OPA, the chart's, or one
configured by hand. The decision's revision is then
`rules@<rules revision>+settings@<settings revision>`; a single bundle that
holds both (a rules bundle built before settings were served apart) is named by
its own revision alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sidecar.opa.entrypoint import DECISION_PATH

RULES_PATH = DECISION_PATH.rpartition("/")[0]
SETTINGS_PATH = "vir/config"

# (bundle name, revision) of every bundle OPA names with a revision, sorted: one answer's
# provenance, in a form that can key a dictionary.
BundleRevisions = tuple[tuple[str, str], ...]


def bundle_revisions(provenance: object) -> BundleRevisions:
    """The bundles a provenance object names with a revision."""
    if not isinstance(provenance, dict):
        return ()
    bundles = provenance.get("bundles")
    if not isinstance(bundles, dict):
        return ()
    return tuple(
        sorted(
            (str(name), info["revision"])
            for name, info in bundles.items()
            if isinstance(info, dict) and isinstance(info.get("revision"), str) and info["revision"]
        )
    )


def manifest_roots(bundles: object) -> dict[str, tuple[str, ...]]:
    """The roots each bundle's manifest claims, from `data.system.bundles`."""
    if not isinstance(bundles, dict):
        return {}
    roots: dict[str, tuple[str, ...]] = {}
    for name, info in bundles.items():
        manifest = info.get("manifest") if isinstance(info, dict) else None
        claimed = manifest.get("roots", [""]) if isinstance(manifest, dict) else None
        if isinstance(claimed, list) and all(isinstance(root, str) for root in claimed):
            roots[str(name)] = tuple(claimed)
    return roots


def claims(roots: Sequence[str], path: str) -> bool:
    """True when a bundle with `roots` owns the data at `path` ("" owns everything)."""
    return any(root == "" or path == root or path.startswith(root + "/") for root in roots)


def policy_revision(revisions: BundleRevisions, roots: Mapping[str, Sequence[str]]) -> str | None:
    """`rules@…+settings@…` from the bundles' revisions and roots; None if neither has one."""
    named = dict(revisions)
    rules = next((n for n in named if claims(roots.get(n, ()), RULES_PATH)), None)
    settings = next((n for n in named if claims(roots.get(n, ()), SETTINGS_PATH)), None)
    if rules is not None and rules == settings:
        return named[rules]
    parts = []
    if rules is not None:
        parts.append(f"rules@{named[rules]}")
    if settings is not None:
        parts.append(f"settings@{named[settings]}")
    return "+".join(parts) or None
