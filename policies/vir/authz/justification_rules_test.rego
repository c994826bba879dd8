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
	req := patch(medical_request, {"justification": {"overcollection_risk": true, "other_means": "The GP was asked and holds no other record."}})
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

# A statement of 25 characters other than spaces is just inside; 24 is out.
statement_25 := "abcde fghij klmno pqrst uvwxy"

statement_24 := "abcde fghij klmno pqrst uvwx"

test_statements_count_from_the_minimum_length if {
	every field in ["relevance", "necessity", "proportionality", "handling"] {
		reasons(patch(medical_request, {"justification": {field: statement_25}})) == set()
		reasons(patch(medical_request, {"justification": {field: statement_24}})) == {concat("", [field, "_not_stated"])}
	}
}

test_statements_minimum_length_follows_the_data if {
	r := reasons(patch(medical_request, {"justification": {"relevance": "Injuries."}})) with config_overrides as {"minimum_statement_chars": 5}
	r == set()
	r2 := reasons(medical_request) with config_overrides as {"minimum_statement_chars": 1000}
	r2 == {"relevance_not_stated", "necessity_not_stated", "proportionality_not_stated", "handling_not_stated", "line_of_enquiry_missing"}
}

test_statements_that_are_placeholders_count_as_missing if {
	every placeholder in ["n/a", "N/A", "na", "None", "nil", "-", ".", "TBC", "tbd", "See above.", "as above", "---", "n / a"] {
		r := reasons(patch(medical_request, {"justification": {"relevance": placeholder}})) with config_overrides as {"minimum_statement_chars": 1}
		r == {"relevance_not_stated"}
	}
	padded := reasons(patch(medical_request, {"justification": {"necessity": "- - - - - - - - - - - - - - - - - - - - - - - - - - - -"}}))
	padded == {"necessity_not_stated"}
}

test_other_means_needed_when_the_period_is_longer_than_a_year if {
	year := patch(medical_request, {"record": {"period_start": "2024-03-31T00:00:00Z", "period_end": "2025-03-31T00:00:00Z"}})
	reasons(year) == set()
	longer := patch(year, {"record": {"period_end": "2025-03-31T00:00:00.000000001Z"}})
	reasons(longer) == {"other_means_not_considered"}
	stated := patch(longer, {"justification": {"other_means": "Only the GP holds the record of the examination."}})
	reasons(stated) == set()
}

test_other_means_needed_when_information_sought_is_broad if {
	every sought in ["All records held", "Any notes about the victim", "Everything on file", "The entire record", "Her complete history", "Full medical notes", "notes (ALL)"] {
		reasons(patch(medical_request, {"record": {"information_sought": sought}})) == {"other_means_not_considered"}
	}
	every sought in ["Allergy record of 15 March", "Fully dated injury notes", "Record of injuries examined on 15 March 2025", "Anyone named in the notes of 15 March"] {
		reasons(patch(medical_request, {"record": {"information_sought": sought}})) == set()
	}
}

test_other_means_placeholder_counts_as_not_considered if {
	req := patch(medical_request, {"justification": {"overcollection_risk": true, "other_means": "n/a"}})
	reasons(req) == {"other_means_not_considered"}
}

test_broad_settings_follow_the_data if {
	req := patch(medical_request, {"record": {"information_sought": "Record of injuries examined on 15 March 2025"}})
	r := reasons(req) with config_overrides as {"broad_request_terms": ["injuries"]}
	r == {"other_means_not_considered"}
	r2 := reasons(req) with config_overrides as {"broad_period_days": 10}
	r2 == {"other_means_not_considered"}
}
