package vir.authz_test

import data.vir.authz

test_counselling_request_when_category_is_counselling if {
	req := patch(counselling_request, {"record": {"holder_provides_counselling": false}})
	authz.counselling_request with input as input_for(req) with data.vir.config as fixture_config
}

test_counselling_request_when_holder_provides_counselling if {
	req := patch(medical_request, {"record": {"holder_provides_counselling": true}})
	authz.counselling_request with input as input_for(req) with data.vir.config as fixture_config
}

test_counselling_request_absent_for_medical_record if {
	not authz.counselling_request with input as input_for(medical_request) with data.vir.config as fixture_config
}

test_probative_value_not_stated_when_missing if {
	reasons(without(counselling_request, ["justification/probative_value"])) == {"probative_value_not_stated"}
}

test_presumption_not_rebutted_when_missing if {
	reasons(without(counselling_request, ["justification/presumption_rebuttal"])) == {"presumption_not_rebutted"}
}

test_counselling_rules_apply_when_holder_provides_counselling if {
	req := patch(medical_request, {"record": {"holder_provides_counselling": true}})
	reasons(req) == {"probative_value_not_stated", "presumption_not_rebutted", "clearance_missing"}
}

test_counselling_rules_absent_for_medical_record if {
	reasons(without(medical_request, ["justification/probative_value", "justification/presumption_rebuttal"])) == set()
}

# as_other is the counselling request filed as OTHER, not flagged, with the
# given holder fields.
as_other(fields) := patch(counselling_request, {"record": object.union(
	{"category": "RECORD_CATEGORY_OTHER", "holder_provides_counselling": false},
	fields,
)})

test_counselling_request_when_holder_name_contains_a_provider_term if {
	every holder in [
		"Oxford Rape Crisis Centre", "RAPE-CRISIS Tyneside", "Riverside Counselling Service",
		"Talking Therapies North", "Harbour Psychotherapy Ltd", "Eastshire Mental Health Trust",
		"Ridings Wellbeing Service",
	] {
		authz.counselling_request with input as input_for(as_other({"holder": holder})) with data.vir.config as fixture_config
	}
}

test_counselling_request_absent_when_holder_name_has_no_provider_term if {
	every holder in ["Northgate Medical Practice", "Hillside Academy", "Westshire County Council", "Rapeseed Growers Co-operative"] {
		not authz.counselling_request with input as input_for(patch(medical_request, {"record": {"holder": holder}})) with data.vir.config as fixture_config
	}
}

test_counselling_request_when_holder_in_the_provider_registry if {
	authz.counselling_request with input as input_for(as_other({"holder": "Victim Support"})) with data.vir.config as fixture_config
	authz.counselling_request with input as input_for(as_other({"holder": "SAMARITANS"})) with data.vir.config as fixture_config
	registry := {"1234567": "Example Support Charity"}
	by_id := as_other({"holder": "Example Support Charity", "holder_id": "1234 567"})
	authz.counselling_request with input as input_for(by_id) with data.vir.config as with_setting("counselling_providers", registry)
	not authz.counselling_request with input as input_for(by_id) with data.vir.config as with_setting("counselling_providers", {})
	not authz.counselling_request with input as input_for(as_other({"holder": "Mindful Gardening Club"})) with data.vir.config as fixture_config
}

test_counselling_rules_apply_to_a_rape_crisis_centre_filed_as_other if {
	req := without(as_other({"holder": "Oxford Rape Crisis Centre"}), ["clearance", "justification/presumption_rebuttal"])
	reasons(req) == {"clearance_missing", "presumption_not_rebutted"}
	advice(req) == {"holder_treated_as_counselling"}
}

test_holder_treated_as_counselling_advice_only_when_not_marked if {
	clearance := object.union(counselling_request.clearance, {"categories": ["RECORD_CATEGORY_OTHER"]})
	req := patch(as_other({"holder": "Oxford Rape Crisis Centre"}), {"clearance": clearance})
	reasons(req) == set()
	advice(req) == {"holder_treated_as_counselling"}
	advice(counselling_request) == set()
	advice(patch(req, {"record": {"holder_provides_counselling": true}})) == set()
}

test_probative_value_not_stated_when_a_placeholder if {
	reasons(patch(counselling_request, {"justification": {"probative_value": "-"}})) == {"probative_value_not_stated"}
	reasons(patch(counselling_request, {"justification": {"presumption_rebuttal": "See above"}})) == {"presumption_not_rebutted"}
	reasons(patch(counselling_request, {"justification": {"probative_value": "abcde fghij klmno pqrst uvwxy"}})) == set()
}

test_counselling_provider_terms_ignored_when_not_a_list if {
	req := as_other({"holder": "Oxford Rape Crisis Centre"})
	not authz.counselling_request with input as input_for(req) with data.vir.config as configured({"counselling_provider_terms": "rape crisis"})
}
