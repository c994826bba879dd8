# Shared requests and helpers for the tests in package vir.authz_test.
package vir.authz_test

import data.vir.authz

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

# fixture_config is the settings these tests are written for. It is the
# tests' own, not vir/config/data.yaml: a force that changes a setting there
# changes the scenario outcomes that depend on it, never a unit test. It
# follows the shipped settings where a test does not need otherwise, with
# fewer organisations. A test that needs another value replaces
# config_overrides, which is merged last, or decides with configured(...).
# The shipped values themselves are tested in config_test.rego.
fixture_config := configured(config_overrides)

config_overrides := {}

# configured is the fixture settings with overrides merged in (object.union:
# an object merges key by key, any other value replaces).
configured(overrides) := object.union(fixture_settings, overrides)

# with_setting is the fixture settings with the setting key replaced by value
# as a whole, where configured would merge two objects.
with_setting(key, value) := object.union(object.remove(fixture_settings, [key]), {key: value})

fixture_settings := {
	"authorised_bodies": [
		"police", "police_staff", "city_of_london", "btp", "mod_police", "nca", "iopc",
		"service_police", "service_police_complaints", "contractor",
	],
	"organisations": fixture_organisations,
	"organisation_aliases": object.union(
		{authz.normalised_key(name): code |
			some code, org in fixture_organisations
			some name in [code, org.name]
		},
		fixture_short_names,
	),
	"allowed_callers": [],
	"categories": {
		"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "chief_inspector"},
		"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_EDUCATION": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_SOCIAL_SERVICES": {"minimum_clearance_rank": null},
		"RECORD_CATEGORY_OTHER": {"minimum_clearance_rank": null},
	},
	"rank_ladders": {
		"territorial": territorial_ranks,
		"metropolitan": object.union(london_ranks, {
			"deputy_assistant_commissioner": 75,
			"assistant_commissioner": 80,
			"deputy_commissioner": 85,
			"commissioner": 90,
		}),
		"city_of_london": object.union(london_ranks, {"assistant_commissioner": 80, "commissioner": 90}),
		"national_crime_agency": {},
		"iopc": {},
		"royal_navy_police": {},
		"royal_military_police": {},
		"royal_air_force_police": {},
		"service_police_complaints_commissioner": {},
	},
	"ranks": {
		"prefixes": {
			"detective": "detective", "det": "detective",
			"temporary": "temporary", "t": "temporary",
			"acting": "acting", "a": "acting",
		},
		"temporary_rank_counts": true,
		"acting_rank_counts": false,
		"aliases": {
			"pc": "constable", "dc": "constable", "det_con": "constable",
			"ps": "sergeant", "ds": "sergeant", "sgt": "sergeant", "det_sgt": "sergeant",
			"insp": "inspector", "di": "inspector",
			"ci": "chief_inspector", "ch_insp": "chief_inspector", "chief_insp": "chief_inspector", "dci": "chief_inspector",
			"supt": "superintendent", "dsupt": "superintendent",
			"ch_supt": "chief_superintendent", "chief_supt": "chief_superintendent", "dcs": "chief_superintendent",
			"acc": "assistant_chief_constable", "dcc": "deputy_chief_constable", "cc": "chief_constable",
			"cdr": "commander", "cmdr": "commander", "dac": "deputy_assistant_commissioner",
			"ac": "assistant_commissioner", "depcom": "deputy_commissioner", "dep_com": "deputy_commissioner",
		},
	},
	"maximum_clearance_days": 90,
	"counselling_providers": {"victimsupport": "Victim Support", "samaritans": "Samaritans", "mind": "Mind", "relate": "Relate"},
	"counselling_provider_terms": [
		"counselling", "counseling", "counsellor", "rape crisis", "therapy", "therapies", "therapist",
		"psychotherapy", "psychological", "mental health", "wellbeing service", "emotional support",
	],
	"minimum_statement_chars": 25,
	"placeholder_statements": {
		"na": "n/a", "none": "none", "nil": "nil", "tbc": "tbc", "tbd": "tbd", "seeabove": "see above",
		"asabove": "as above", "notapplicable": "not applicable", "notknown": "not known", "unknown": "unknown",
	},
	"broad_period_days": 365,
	"broad_request_terms": ["all", "any", "everything", "entire", "complete", "full"],
	"notice_clock_skew_seconds": 300,
	"credibility_advice": {
		"minimum_matches": 1,
		"phrases": [
			"credibility", "not credible", "reliability", "unreliable", "truthful", "truthfulness",
			"untruthful", "honesty", "dishonest", "dishonesty", "lying", "liar", "lied", "motive to lie",
			"fabricated", "fabrication", "made up", "false allegation", "false allegations",
			"false complaint", "previous allegations", "inconsistent account", "inconsistencies",
			"exaggerated", "exaggerating", "fantasist", "attention seeking", "undermine her account",
			"undermine his account", "undermine their account", "undermine the complainant",
			"undermine the victim",
		],
	},
}

# The organisations the tests name: three territorial forces, the two London
# forces and the other bodies of ss.44E-44F.
fixture_organisations := {
	"west_yorkshire": territorial_force("West Yorkshire Police"),
	"thames_valley": territorial_force("Thames Valley Police"),
	"dyfed_powys": territorial_force("Dyfed-Powys Police"),
	"metropolitan": {"name": "Metropolitan Police Service", "ladder": "metropolitan", "bodies": ["police", "police_staff", "contractor"]},
	"city_of_london": {"name": "City of London Police", "ladder": "city_of_london", "bodies": ["police", "police_staff", "city_of_london", "contractor"]},
	"british_transport_police": {"name": "British Transport Police", "ladder": "territorial", "bodies": ["btp", "contractor"]},
	"ministry_of_defence_police": {"name": "Ministry of Defence Police", "ladder": "territorial", "bodies": ["mod_police", "contractor"]},
	"national_crime_agency": other_body("National Crime Agency", "national_crime_agency", "nca"),
	"iopc": other_body("Independent Office for Police Conduct", "iopc", "iopc"),
	"royal_navy_police": other_body("Royal Navy Police", "royal_navy_police", "service_police"),
	"royal_military_police": other_body("Royal Military Police", "royal_military_police", "service_police"),
	"royal_air_force_police": other_body("Royal Air Force Police", "royal_air_force_police", "service_police"),
	"service_police_complaints_commissioner": other_body(
		"Service Police Complaints Commissioner",
		"service_police_complaints_commissioner",
		"service_police_complaints",
	),
}

territorial_force(name) := {"name": name, "ladder": "territorial", "bodies": ["police", "police_staff", "contractor"]}

other_body(name, ladder, body) := {"name": name, "ladder": ladder, "bodies": [body, "contractor"]}

fixture_short_names := {
	"metropolitanpolice": "metropolitan", "met": "metropolitan",
	"btp": "british_transport_police", "nca": "national_crime_agency", "rafpolice": "royal_air_force_police",
}

territorial_ranks := {
	"constable": 10, "sergeant": 20, "inspector": 30, "chief_inspector": 40, "superintendent": 50,
	"chief_superintendent": 60, "assistant_chief_constable": 70, "deputy_chief_constable": 80,
	"chief_constable": 90,
}

london_ranks := {
	"constable": 10, "sergeant": 20, "inspector": 30, "chief_inspector": 40, "superintendent": 50,
	"chief_superintendent": 60, "commander": 70,
}

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
