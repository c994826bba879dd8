"""The policy's decision entrypoint, written once for every consumer.

The rule is `decision` in policies/vir/authz/decision.rego, annotated
`entrypoint: true`; the bundle build checks that the two agree.
"""

from __future__ import annotations

DECISION_PATH = "vir/authz/decision"

# The same rule as a Rego reference, for `opa eval` and the like.
DECISION_QUERY = "data." + DECISION_PATH.replace("/", ".")
