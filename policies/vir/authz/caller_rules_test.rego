package vir.authz_test

import data.vir.authz

caller_input(caller) := {
	"request": counselling_request,
	"context": {"time": now, "caller": caller, "request_id": "test"},
}

# caller_decision is the decision on the counselling request from caller, with the fixture config.
caller_decision(caller) := d if {
	d := authz.decision with input as caller_input(caller) with data.vir.config as fixture_config
}

test_caller_not_allowed_absent_when_no_allow_list if {
	d := caller_decision("anything")
	d.allow
}

test_caller_not_allowed_absent_when_allow_list_is_empty if {
	d := caller_decision("anything") with config_overrides as {"allowed_callers": []}
	d.allow
}

test_caller_not_allowed_absent_when_caller_on_allow_list if {
	d := caller_decision("spiffe://force.example/records")
		with config_overrides as {"allowed_callers": ["spiffe://force.example/records"]}
	d.allow
}

test_caller_not_allowed_when_caller_not_on_allow_list if {
	d := caller_decision("spiffe://force.example/other")
		with config_overrides as {"allowed_callers": ["spiffe://force.example/records"]}
	[f.code | some f in d.reasons] == ["caller_not_allowed"]
}

test_caller_not_allowed_when_caller_is_null_and_allow_list_set if {
	d := caller_decision(null)
		with config_overrides as {"allowed_callers": ["spiffe://force.example/records"]}
	[f.code | some f in d.reasons] == ["caller_not_allowed"]
}
