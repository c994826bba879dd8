"""The policy's decision entrypoint, written once for every consumer.

The decision rule is `decision` in policies/vir/authz/decision.rego, annotated
`entrypoint: true`; the bundle build checks that the two agree.
"""

from __future__ import annotations

DECISION_PATH = "vir/authz/decision"

# The same rule as a Rego reference, for `opa eval` and the like.
DECISION_QUERY = "data." + DECISION_PATH.replace("/", ".")

# The problems the policy finds in the settings it serves, one message per bad entry
# (policies/vir/authz/settings_check.rego): asked once for each new set of settings.
SETTINGS_PROBLEMS_PATH = "vir/authz/settings_problems"
SETTINGS_PROBLEMS_QUERY = "data." + SETTINGS_PROBLEMS_PATH.replace("/", ".")

# OPA's own document of the bundles it serves, with their manifests.
BUNDLES_PATH = "system/bundles"
