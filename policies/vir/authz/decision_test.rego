package vir.authz_test

import data.vir.authz

test_decision_allows_complete_counselling_request if {
	decide(counselling_request) == {"allow": true, "reasons": [], "advice": [], "obligations": [], "facts": counselling_facts}
}

test_decision_allows_complete_medical_request if {
	object.remove(decide(medical_request), ["facts"]) == {"allow": true, "reasons": [], "advice": [], "obligations": []}
}

test_decision_refuses_when_input_is_empty if {
	d := authz.decision with input as {} with data.vir.config as fixture_config
	d.allow == false
	count(d.reasons) > 0
}

test_decision_refuses_when_there_is_no_input if {
	authz.decision.allow == false with data.vir.config as fixture_config
}

test_decision_is_defined_when_fields_have_wrong_types if {
	junk := ["text", 7, true, null, [1, 2], {"x": {}}]
	sections := ["requester", "record", "investigation", "justification", "clearance", "victim_notice"]
	decisions := [d |
		some section in sections
		some value in junk
		req := object.union(object.remove(counselling_request, [section]), {section: value})
		d := authz.decision with input as input_for(req) with data.vir.config as fixture_config
	]
	count(decisions) == count(sections) * count(junk)
	every d in decisions {
		d.allow == false
	}
}

test_decision_is_defined_when_request_and_context_are_not_objects if {
	every value in ["text", 7, [], null] {
		d := authz.decision with input as {"request": value, "context": value} with data.vir.config as fixture_config
		d.allow == false
	}
}

test_decision_lists_reasons_sorted_by_code if {
	d := decide({"request_id": "x", "record": {"category": "RECORD_CATEGORY_COUNSELLING"}})
	codes := [f.code | some f in d.reasons]
	count(codes) > 5
	codes == sort(codes)
}

test_decision_findings_have_code_message_and_reference if {
	d := decide({"request_id": "x", "record": {"category": "RECORD_CATEGORY_COUNSELLING"}})
	every f in d.reasons {
		object.keys(f) == {"code", "message", "reference"}
		f.message != ""
		f.reference != ""
	}
}

test_decision_gives_obligations_only_with_allow if {
	deferred := patch(counselling_request, {"victim_notice": {"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": "The victim was abroad and could not be reached before the request."}})
	obligations(deferred) == {"notify_victim"}
	refused := patch(deferred, {"record": {"whole_file": true}})
	decide(refused).allow == false
	decide(refused).obligations == []
}

test_decision_gives_advice_with_a_refusal if {
	req := patch(counselling_request, {
		"record": {"whole_file": true},
		"justification": {"relevance": "Goes to her credibility."},
	})
	decide(req).allow == false
	advice(req) == {"credibility_rationale"}
}

test_finding_for_unknown_code_uses_code_as_message if {
	authz.finding("no_such_code") == {"code": "no_such_code", "message": "no_such_code", "reference": ""}
}

test_finding_text_gives_message_and_reference_for_every_code if {
	count(authz.finding_text) >= 25
	every code, t in authz.finding_text {
		regex.match(`^[a-z][a-z0-9_]*$`, code)
		object.keys(t) == {"message", "reference"}
		t.message != ""
		t.reference != ""
	}
}
