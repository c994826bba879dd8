package vir.authz_test

test_relevance_not_stated_when_missing if {
	reasons(without(medical_request, ["justification/relevance"])) == {"relevance_not_stated"}
}

test_necessity_not_stated_when_missing if {
	reasons(without(medical_request, ["justification/necessity"])) == {"necessity_not_stated"}
}

test_proportionality_not_stated_when_whitespace if {
	reasons(patch(medical_request, {"justification": {"proportionality": "   "}})) == {"proportionality_not_stated"}
}

test_handling_not_stated_when_missing if {
	reasons(without(medical_request, ["justification/handling"])) == {"handling_not_stated"}
}

test_other_means_not_considered_when_overcollection_risk_and_missing if {
	req := patch(medical_request, {"justification": {"overcollection_risk": true}})
	reasons(req) == {"other_means_not_considered"}
}

test_other_means_not_considered_absent_when_stated if {
	req := patch(medical_request, {"justification": {"overcollection_risk": true, "other_means": "None available."}})
	reasons(req) == set()
}

test_other_means_not_considered_absent_without_overcollection_risk if {
	req := patch(medical_request, {"justification": {"overcollection_risk": false, "other_means": ""}})
	reasons(req) == set()
}

test_every_justification_reason_when_justification_missing if {
	reasons(without(medical_request, ["justification"])) == {
		"handling_not_stated",
		"necessity_not_stated",
		"proportionality_not_stated",
		"relevance_not_stated",
	}
}
