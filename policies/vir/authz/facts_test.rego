package vir.authz_test

facts(req) := decide(req).facts

counselling_facts := {
	"counselling": true,
	"requester_org": "west_yorkshire",
	"authoriser_rank": "chief_inspector",
	"notice_status": "given",
	"withholding_ground": null,
}

test_facts_of_complete_counselling_request if {
	facts(counselling_request) == counselling_facts
}

test_facts_of_medical_request_without_clearance if {
	facts(medical_request) == {
		"counselling": false,
		"requester_org": "west_yorkshire",
		"authoriser_rank": null,
		"notice_status": "given",
		"withholding_ground": null,
	}
}

test_facts_are_null_or_false_when_input_is_empty if {
	f := data.vir.authz.decision.facts with input as {} with data.vir.config as fixture_config
	f == {
		"counselling": false,
		"requester_org": null,
		"authoriser_rank": null,
		"notice_status": null,
		"withholding_ground": null,
	}
}

test_facts_counselling_when_only_the_holder_is_a_provider if {
	req := json.patch(counselling_request, [
		{"op": "replace", "path": "/record/category", "value": "RECORD_CATEGORY_MEDICAL"},
		{"op": "remove", "path": "/record/holder_provides_counselling"},
	])
	facts(req).counselling == true
}

test_facts_requester_org_is_the_normalised_code if {
	facts(patch(counselling_request, {"requester": {"force": "west-yorkshire police"}})).requester_org == "west_yorkshire"
}

test_facts_requester_org_is_null_for_an_unknown_organisation if {
	facts(patch(counselling_request, {"requester": {"force": "Police Scotland"}})).requester_org == null
}

test_facts_authoriser_rank_is_read_through_prefixes_and_aliases if {
	facts(patch(counselling_request, {"clearance": {"authoriser_rank": "T/DCI"}})).authoriser_rank == "chief_inspector"
	facts(patch(counselling_request, {"clearance": {"authoriser_rank": " Detective Superintendent "}})).authoriser_rank == "superintendent"
}

test_facts_authoriser_rank_is_null_when_missing_or_only_prefixes if {
	facts(patch(counselling_request, {"clearance": {"authoriser_rank": "  "}})).authoriser_rank == null
	facts(patch(counselling_request, {"clearance": {"authoriser_rank": "acting"}})).authoriser_rank == null
}

test_facts_notice_status_deferred_and_withheld if {
	deferred := {"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": "x"}
	facts(with_notice(deferred)).notice_status == "deferred"
	facts(with_notice(deferred)).withholding_ground == null
	withheld := {"status": "NOTICE_STATUS_WITHHELD", "withheld_ground": "WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM"}
	facts(with_notice(withheld)).notice_status == "withheld"
	facts(with_notice(withheld)).withholding_ground == "risk_of_serious_harm"
}

test_facts_notice_null_when_status_unknown if {
	facts(with_notice({"status": "NOTICE_STATUS_MAYBE"})).notice_status == null
	facts(with_notice({"status": "NOTICE_STATUS_UNSPECIFIED"})).notice_status == null
}

test_facts_withholding_ground_null_unless_statutory_and_withheld if {
	facts(with_notice({"status": "NOTICE_STATUS_WITHHELD", "withheld_ground": "WITHHOLDING_GROUND_UNSPECIFIED"})).withholding_ground == null
	facts(with_notice({"status": "NOTICE_STATUS_GIVEN", "withheld_ground": "WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM"})).withholding_ground == null
}

test_facts_values_are_strings_booleans_or_null if {
	every req in [counselling_request, medical_request, {}] {
		every v in facts(req) {
			fact_value(v)
		}
	}
}

fact_value(v) if is_string(v)

fact_value(v) if is_boolean(v)

fact_value(v) if is_null(v)
