# Runs every scenario in scenarios/*/data.yaml through data.vir.authz.decision
# at a fixed decision time and compares the outcome with the scenario's expect.
# A failing run prints the names of the scenarios that differ and what they got.
package scenarios_test

# The fixed decision time. Scenario timestamps are chosen so that the outcome
# is the same for any time from 2026-06-01 to 2099-06-01.
decision_time := "2026-06-01T00:00:00Z"

# The reason codes that no scenario table needs to show on its own. The
# caller allow-list is off by default, so caller_not_allowed is tested in
# vir/authz/caller_rules_test.rego instead. The scenarios also run through a
# sidecar started without clearance-signing keys, where clearances are not
# signed, so clearance_signature_invalid is tested in
# vir/authz/clearance_signature_rules_test.rego instead.
codes_without_scenario := {"caller_not_allowed", "clearance_signature_invalid"}

scenarios := [s |
	some theme in data.scenarios
	some s in theme
]

outcome(s) := {
	"allow": d.allow,
	"reasons": {f.code | some f in d.reasons},
	"obligations": {f.code | some f in d.obligations},
	"advice": {f.code | some f in d.advice},
} if {
	d := data.vir.authz.decision with input as {
		"request": s.request,
		"context": {"time": decision_time, "caller": null, "request_id": s.request.request_id},
	}
}

# differences lists, per checked key, the expected and actual values that differ.
differences(s) := {key: {"expected": want, "got": got} |
	got := outcome(s)[key]
	want := expected(s, key)
	want != got
}

expected(s, "allow") := s.expect.allow

expected(s, key) := {c | some c in s.expect[key]} if {
	key != "allow"
	is_array(s.expect[key])
}

failures := {s.name: diff |
	some s in scenarios
	diff := differences(s)
	count(diff) > 0
}

test_scenarios_match_expected_decisions if {
	count(failures) == 0
} else := false if {
	print("scenarios that do not match their expected decision:", failures)
}

test_scenario_tables_are_not_empty if {
	count(scenarios) >= 50
}

test_scenario_names_are_unique if {
	names := [s.name | some s in scenarios]
	count(names) == count({n | some n in names})
}

test_scenario_request_ids_are_unique if {
	ids := [s.request.request_id | some s in scenarios]
	count(ids) == count({i | some i in ids})
}

test_scenarios_have_the_required_fields if {
	every s in scenarios {
		is_string(s.name)
		is_string(s.request.request_id)
		s.request.request_id != ""
		is_boolean(s.expect.allow)
		is_array(s.expect.reasons)
		allowed_when_no_reasons := count(s.expect.reasons) == 0
		s.expect.allow == allowed_when_no_reasons
	}
}

# codes_never_alone are reason codes that no scenario expects on their own.
codes_never_alone := ((all_codes - advice_and_obligation_codes) - alone) - codes_without_scenario if {
	all_codes := {code | some code, _ in data.vir.authz.finding_text}
	alone := {s.expect.reasons[0] | some s in scenarios; count(s.expect.reasons) == 1}
}

test_every_reason_code_has_a_scenario_where_it_is_the_only_reason if {
	count(codes_never_alone) == 0
} else := false if {
	print("reason codes without a scenario of their own:", codes_never_alone)
}

# The codes that are advice or obligations, never reasons.
advice_and_obligation_codes := {"notify_victim", "credibility_rationale", "holder_treated_as_counselling"}

test_every_obligation_and_advice_code_has_a_scenario if {
	seen := {c | some s in scenarios; some key in ["obligations", "advice"]; some c in object.get(s.expect, key, [])}
	seen == advice_and_obligation_codes
}

test_scenarios_include_allowed_and_refused_requests if {
	count([s | some s in scenarios; s.expect.allow]) >= 10
	count([s | some s in scenarios; not s.expect.allow]) >= 10
}
