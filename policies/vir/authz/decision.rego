# Victim information request decision.
#
# Entry point of the vir-sidecar policy. Every rule file in this package adds
# codes to reason_codes, advice_codes or obligation_codes and describes each
# code in finding_text. This file turns the codes into the decision document.
package vir.authz

# METADATA
# title: Decision
# description: |
#   Always defined. allow is true only when there are no reasons. Each list is
#   sorted by code and holds each code at most once. Obligations come only
#   with an allow. facts holds what the policy established about the
#   request for the audit record (facts.rego).
# entrypoint: true
decision := {
	"allow": allow,
	"reasons": findings(reason_codes),
	"advice": findings(advice_codes),
	"obligations": obligations,
	"facts": facts,
}

allow := count(reason_codes) == 0

obligations := findings(obligation_codes) if allow

else := []

# findings turns a set of codes into findings sorted by code.
findings(codes) := [finding(c) | some c in sort(codes)]

# finding gives a code its message and reference from finding_text. A code
# without an entry still gives a finding, with the code as its message.
finding(c) := {
	"code": c,
	"message": finding_message(c),
	"reference": finding_text[c].reference,
} if {
	is_object(finding_text[c])
} else := {
	"code": c,
	"message": c,
	"reference": "",
}

# finding_detail optionally adds request-specific detail to a message.
finding_message(c) := concat(" ", [finding_text[c].message, finding_detail[c]]) if {
	is_string(finding_detail[c])
} else := finding_text[c].message
