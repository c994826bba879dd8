package vir.authz_test

import data.vir.authz

caller_input(caller) := {
	"request": counselling_request,
	"context": {"time": now, "caller": caller, "request_id": "test"},
}

test_caller_not_allowed_absent_when_no_allow_list if {
	d := authz.decision with input as caller_input("anything")
	d.allow
}

test_caller_not_allowed_absent_when_allow_list_is_empty if {
	d := authz.decision with input as caller_input("anything") with data.vir.config.allowed_callers as []
	d.allow
}

test_caller_not_allowed_absent_when_caller_on_allow_list if {
	d := authz.decision with input as caller_input("spiffe://force.example/records")
		with data.vir.config.allowed_callers as ["spiffe://force.example/records"]
	d.allow
}

test_caller_not_allowed_when_caller_not_on_allow_list if {
	d := authz.decision with input as caller_input("spiffe://force.example/other")
		with data.vir.config.allowed_callers as ["spiffe://force.example/records"]
	[f.code | some f in d.reasons] == ["caller_not_allowed"]
}

test_caller_not_allowed_when_caller_is_null_and_allow_list_set if {
	d := authz.decision with input as caller_input(null)
		with data.vir.config.allowed_callers as ["spiffe://force.example/records"]
	[f.code | some f in d.reasons] == ["caller_not_allowed"]
}
