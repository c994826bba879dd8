package vir.authz_test

import data.vir.authz

test_counselling_request_when_category_is_counselling if {
	req := patch(counselling_request, {"record": {"holder_provides_counselling": false}})
	authz.counselling_request with input as input_for(req)
}

test_counselling_request_when_holder_provides_counselling if {
	req := patch(medical_request, {"record": {"holder_provides_counselling": true}})
	authz.counselling_request with input as input_for(req)
}

test_counselling_request_absent_for_medical_record if {
	not authz.counselling_request with input as input_for(medical_request)
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
