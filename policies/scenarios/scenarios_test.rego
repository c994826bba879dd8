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

# The base requests, by name (scenarios/bases/data.yaml).
bases := data.scenarios.bases

# The scenario tables, by theme: every other file under scenarios/.
tables := object.remove(data.scenarios, ["bases"])

# entries are the scenarios as written, with their theme.
entries := [{"theme": theme, "scenario": s} |
	some theme, table in tables
	some s in table
]

# scenarios are the scenarios with their full request, built from the base.
# sidecar/scenario_lookup.py builds the same requests for the Python tools.
scenarios := [object.union(e.scenario, {"theme": e.theme, "request": request(e.scenario)}) |
	some e in entries
]

# requests gives each scenario's full request by name, for use by hand:
# opa eval --bundle policies 'data.scenarios_test.requests.NAME'.
requests := {s.name: s.request | some s in scenarios}

# request(s) is the base request named by s.base with the request_id taken
# from the scenario's name, and s.changes merged in.
request(s) := merged(start(s), object.get(s, "changes", {}))

start(s) := object.union(bases[s.base].request, {"request_id": request_id(s.name)})

request_id(name) := concat("", ["scn-", replace(name, "_", "-")])

# merged(base, changes) is base with changes merged in: a mapping merges key
# by key, null leaves the key out, and any other value replaces the base's.
merged(base, changes) := json.remove(object.union(base, changes), [path |
	walk(changes, [path, null])
	only_mappings_above(changes, path)
])

# only_mappings_above holds when the value at path is reached through
# mappings only, not through a list.
only_mappings_above(value, path) if {
	every n in numbers.range(0, count(path) - 1) {
		is_object(object.get(value, array.slice(path, 0, n), null))
	}
}

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

test_merged_merges_mappings_replaces_other_values_and_leaves_out_nulls if {
	base := {"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": true, "f": {"g": 1}}
	changes := {"a": {"b": 2, "c": [3], "d": null, "h": {"i": null, "j": 4}}, "e": null, "f": "g", "k": [null]}
	merged(base, changes) == {"a": {"b": 2, "c": [3], "h": {"j": 4}}, "f": "g", "k": [null]}
	merged(base, {}) == base
}

test_a_request_is_its_base_with_its_request_id_and_changes if {
	s := {"name": "an_example", "base": "medical", "changes": {"record": {"holder": null, "whole_file": true}}}
	r := request(s)
	r.request_id == "scn-an-example"
	r.record.whole_file
	not r.record.holder
	object.remove(r, ["request_id", "record"]) == object.remove(bases.medical.request, ["record"])
	object.remove(r.record, ["whole_file"]) == object.remove(bases.medical.request.record, ["holder"])
}

test_every_scenario_names_a_base_and_expands_to_a_request if {
	count(scenarios) == count(entries)
}

test_the_base_requests_are_well_formed if {
	count(bases) > 0
	every b in bases {
		object.keys(b) == {"description", "request"}
		is_string(b.description)
		is_object(b.request)
		not b.request.request_id
	}
} else := false if {
	print("base requests are not each a description and a request without request_id")
}

test_every_scenario_is_written_as_a_base_and_its_differences if {
	count(malformed) == 0
} else := false if {
	print("scenarios not written as a base and what differs from it:", malformed)
}

scenario_keys := {"name", "description", "base", "changes", "expect"}

# A value that no base request holds, for telling a field the base does not
# have from one it has.
absent := {"absent": "from the base request"}

label(e) := concat("/", [e.theme, object.get(e.scenario, "name", "(no name)")])

malformed contains sprintf("%s: unknown key %s", [label(e), key]) if {
	some e in entries
	some key, _ in e.scenario
	not key in scenario_keys
}

malformed contains sprintf("%s: no base request named %v", [label(e), object.get(e.scenario, "base", null)]) if {
	some e in entries
	not bases[object.get(e.scenario, "base", null)]
}

malformed contains sprintf("%s: changes is not a mapping", [label(e)]) if {
	some e in entries
	not is_object(object.get(e.scenario, "changes", {}))
}

malformed contains sprintf("%s: changes.%s %s", [label(e), concat(".", [sprintf("%v", [k]) | some k in path]), problem]) if {
	some e in entries
	changes := object.get(e.scenario, "changes", {})
	walk(changes, [path, value])
	count(path) > 0
	problem := change_problem(start(e.scenario), changes, path, value)
}

change_problem(_, changes, path, value) := "is an empty mapping" if {
	value == {}
	only_mappings_above(changes, path)
}

change_problem(base, changes, path, value) := "leaves out a field the base does not have" if {
	value == null
	only_mappings_above(changes, path)
	object.get(base, path, absent) == absent
}

change_problem(base, changes, path, value) := "gives the base's own value" if {
	not is_object(value)
	value != null
	only_mappings_above(changes, path)
	object.get(base, path, absent) == value
}

change_problem(_, changes, path, value) := "is null inside a list" if {
	value == null
	not only_mappings_above(changes, path)
}

# Each base request satisfies every rule: a scenario gives it unchanged and
# expects it allowed with no finding, so the scenario comparison checks it.
test_every_base_request_is_a_scenario_allowed_with_no_finding if {
	every name, _ in bases {
		some s in scenarios
		s.base == name
		object.get(s, "changes", {}) == {}
		s.expect == {"allow": true, "reasons": [], "obligations": [], "advice": []}
	}
}
