package vir.authz_test

import data.vir.authz

with_relevance(t) := patch(counselling_request, {"justification": {"relevance": t}})

test_credibility_rationale_when_relevance_questions_credibility if {
	req := with_relevance("The notes may show whether her account has changed, which goes to her Credibility.")
	reasons(req) == set()
	advice(req) == {"credibility_rationale"}
}

test_credibility_rationale_when_line_of_enquiry_says_lied if {
	req := patch(counselling_request, {"investigation": {"line_of_enquiry": "Whether she lied to the counsellor."}})
	advice(req) == {"credibility_rationale"}
}

test_credibility_rationale_lists_phrases_found if {
	req := with_relevance("Her reliability and possible false allegations; she may have lied.")
	d := decide(req)
	endswith(d.advice[0].message, "Phrases found: false allegations, lied, reliability.")
}

test_credibility_rationale_matches_whole_words_only if {
	advice(with_relevance("The applied dates are unreliably recorded.")) == set()
}

test_credibility_rationale_absent_for_line_of_enquiry_rationale if {
	advice(counselling_request) == set()
}

test_credibility_rationale_threshold_from_data if {
	req := with_relevance("Goes to credibility.")
	a := advice(req) with config_overrides as {"credibility_advice": {"minimum_matches": 2}}
	a == set()
}

test_credibility_rationale_absent_when_data_missing if {
	a := advice(with_relevance("Goes to credibility.")) with config_overrides as {"credibility_advice": null}
	a == set()
	authz.credibility_phrases == {} with data.vir.config as configured({"credibility_advice": {"phrases": "credibility"}})
}

test_credibility_rationale_matches_phrases_across_punctuation_and_at_the_ends if {
	advice(with_relevance("False--allegations")) == {"credibility_rationale"}
	advice(with_relevance("credibility")) == {"credibility_rationale"}
	advice(with_relevance("Not.\tcredible!")) == {"credibility_rationale"}
	advice(with_relevance("falseallegations; incredible")) == set()
}
