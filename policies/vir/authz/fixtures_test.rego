# Shared requests and helpers for the tests in package vir.authz_test.
package vir.authz_test

# The fixed decision time of the tests. The counselling clearance runs from
# 2026-05-20 to 2026-08-15, inside the default 90-day lifetime.
now := "2026-06-01T00:00:00Z"

# A counselling request that satisfies every rule.
counselling_request := {
	"request_id": "test-counselling",
	"requester": {
		"id": "DC-4521",
		"body": "police",
		"force": "West Yorkshire Police",
		"rank": "detective_constable",
	},
	"record": {
		"id": "REC-1001",
		"category": "RECORD_CATEGORY_COUNSELLING",
		"holder": "Riverside Counselling Service",
		"holder_provides_counselling": true,
		"victim_id": "V-7F3A",
		"information_sought": "Dates of sessions and any record of a disclosure about the incident",
		"period_start": "2025-03-01T00:00:00Z",
		"period_end": "2025-06-30T23:59:59Z",
	},
	"investigation": {
		"crime_reference": "CR-2025-004417",
		"offence": "Rape",
		"line_of_enquiry": "When the complainant first reported the offence",
	},
	"justification": {
		"relevance": "The notes may record the date of first disclosure.",
		"necessity": "No other record shows the date of first disclosure.",
		"proportionality": "Limited to session dates and one disclosure over four months.",
		"overcollection_risk": true,
		"other_means": "The complainant and her GP were asked; neither holds the date.",
		"probative_value": "The date fixes the disputed timeline of the offence.",
		"presumption_rebuttal": "Access is essential to a fair trial; no other source exists.",
		"handling": "Restricted case file; deleted at case closure unless used in evidence.",
	},
	"clearance": {
		"id": "CLR-2026-0091",
		"authoriser_id": "CI-1187",
		"authoriser_rank": "chief_inspector",
		"granted_at": "2026-05-20T09:00:00Z",
		"expires_at": "2026-08-15T09:00:00Z",
		"crime_reference": "CR-2025-004417",
		"victim_id": "V-7F3A",
		"categories": ["RECORD_CATEGORY_COUNSELLING"],
	},
	"victim_notice": {
		"status": "NOTICE_STATUS_GIVEN",
		"given_at": "2026-01-12T10:00:00Z",
		"recipient": "NOTICE_RECIPIENT_VICTIM",
	},
}

# A medical records request that satisfies every rule. No clearance is needed.
medical_request := {
	"request_id": "test-medical",
	"requester": {"id": "DC-4521", "body": "police", "force": "west_yorkshire"},
	"record": {
		"category": "RECORD_CATEGORY_MEDICAL",
		"holder": "Northgate Medical Practice",
		"victim_id": "V-7F3A",
		"information_sought": "Record of injuries examined on 15 March 2025",
		"period_start": "2025-03-14T00:00:00Z",
		"period_end": "2025-03-31T00:00:00Z",
	},
	"investigation": {
		"crime_reference": "CR-2025-004417",
		"line_of_enquiry": "The injuries the complainant suffered",
	},
	"justification": {
		"relevance": "The record describes the injuries the complainant suffered.",
		"necessity": "No photographs of the injuries were taken at the time.",
		"proportionality": "One consultation only, on the day after the assault.",
		"handling": "Restricted case file, deleted at case closure.",
	},
	"victim_notice": {
		"status": "NOTICE_STATUS_GIVEN",
		"given_at": "2026-01-12T10:00:00Z",
		"recipient": "NOTICE_RECIPIENT_VICTIM",
	},
}

input_for(req) := {
	"request": req,
	"context": {"time": now, "caller": null, "request_id": "test"},
}

# fixture_config is the shipped config with the thresholds these tests are
# written for pinned here, so that a force raising one in data.yaml changes
# the scenario outcomes that depend on it, not the unit tests. A test that
# needs another value replaces config_overrides, which is merged last. The
# shipped values themselves are tested in config_test.rego.
fixture_config := object.union(object.union(data.vir.config, pinned_settings), config_overrides)

pinned_settings := {
	"allowed_callers": [],
	"categories": {
		"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "chief_inspector"},
		"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_EDUCATION": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_SOCIAL_SERVICES": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_OTHER": {"minimum_clearance_rank": null},
	},
	"ranks": {"temporary_rank_counts": true, "acting_rank_counts": false},
	"maximum_clearance_days": 90,
	"minimum_statement_chars": 25,
	"broad_period_days": 365,
	"notice_clock_skew_seconds": 300,
}

config_overrides := {}

decide(req) := d if {
	d := data.vir.authz.decision with input as input_for(req) with data.vir.config as fixture_config
}

# reasons is the set of reason codes of the decision on req.
reasons(req) := {f.code | some f in decide(req).reasons}

advice(req) := {f.code | some f in decide(req).advice}

obligations(req) := {f.code | some f in decide(req).obligations}

# patch deep-merges the fields in p into req.
patch(req, p) := object.union(req, p)

# without removes the fields at the given "/"-separated paths from req.
without(req, paths) := json.remove(req, paths)
