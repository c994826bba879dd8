package vir.authz_test

import data.vir.authz

with_clearance(fields) := patch(counselling_request, {"clearance": fields})

test_clearance_missing_when_absent if {
	reasons(without(counselling_request, ["clearance"])) == {"clearance_missing"}
}

test_clearance_missing_alone_when_id_empty if {
	reasons(with_clearance({"id": " ", "authoriser_id": "DC-4521", "expires_at": "2020-01-01T00:00:00Z"})) == {"clearance_missing"}
}

test_clearance_not_required_for_medical_record if {
	not authz.clearance_required with input as input_for(medical_request) with data.vir.config as fixture_config
}

test_clearance_not_checked_for_medical_record if {
	expired := object.union(counselling_request.clearance, {"expires_at": "2026-02-01T00:00:00Z"})
	reasons(patch(medical_request, {"clearance": expired})) == set()
}

test_clearance_required_for_medical_record_when_data_sets_rank if {
	r := reasons(medical_request) with config_overrides as {"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "inspector"}}}
	r == {"clearance_missing"}
}

test_clearance_rank_too_low_for_medical_record_below_data_rank if {
	clearance := object.union(counselling_request.clearance, {
		"authoriser_rank": "chief_inspector",
		"categories": ["RECORD_CATEGORY_MEDICAL"],
	})
	req := patch(medical_request, {"clearance": clearance})
	r := reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "superintendent"}}}
	r == {"clearance_rank_too_low"}
}

test_clearance_uses_higher_rank_when_counselling_holder_and_category_rank if {
	clearance := object.union(counselling_request.clearance, {"categories": ["RECORD_CATEGORY_MEDICAL"]})
	req := patch(medical_request, {
		"record": {"holder_provides_counselling": true},
		"justification": counselling_request.justification,
		"clearance": clearance,
	})
	reasons(req) == set()
	r := reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "superintendent"}}}
	r == {"clearance_rank_too_low"}
}

test_clearance_counselling_minimum_defaults_to_chief_inspector if {
	req := with_clearance({"authoriser_rank": "inspector"})
	r := reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": null}}}
	r == {"clearance_rank_too_low"}
	authz.counselling_minimum_rank == "chief_inspector" with data.vir.config as with_setting("categories", {})
}

test_clearance_counselling_minimum_from_data if {
	req := with_clearance({"authoriser_rank": "chief_inspector"})
	r := reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"}}}
	r == {"clearance_rank_too_low"}
}

test_clearance_incomplete_when_each_field_missing if {
	every field in ["authoriser_id", "authoriser_rank", "granted_at", "expires_at"] {
		reasons(without(counselling_request, [concat("/", ["clearance", field])])) == {"clearance_incomplete"}
	}
}

test_clearance_incomplete_when_timestamp_invalid if {
	reasons(with_clearance({"expires_at": "next year"})) == {"clearance_incomplete"}
}

test_clearance_rank_too_low_when_inspector if {
	reasons(with_clearance({"authoriser_rank": "inspector"})) == {"clearance_rank_too_low"}
}

test_clearance_rank_too_low_when_detective_inspector if {
	reasons(with_clearance({"authoriser_rank": "detective_inspector"})) == {"clearance_rank_too_low"}
}

test_clearance_rank_too_low_when_rank_unknown if {
	reasons(with_clearance({"authoriser_rank": "station_manager"})) == {"clearance_rank_too_low"}
}

test_clearance_rank_too_low_when_minimum_rank_in_data_unknown if {
	r := reasons(counselling_request) with config_overrides as {"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "cheif_inspector"}}}
	r == {"clearance_rank_too_low"}
}

test_clearance_rank_too_low_message_names_minimum_rank if {
	d := decide(with_clearance({"authoriser_rank": "sergeant"}))
	endswith(d.reasons[0].message, "Minimum rank for this request: chief_inspector, read on the territorial rank ladder.")
}

test_clearance_rank_accepted_at_and_above_chief_inspector if {
	every rank in [
		"chief_inspector", "detective_chief_inspector", "Detective Chief Inspector",
		"DCI", "Det. Chief Inspector", "Ch Insp", "CI", "T/DCI",
		"superintendent", "Supt", "Det Supt", "detective_chief_superintendent", "Ch Supt",
		"ACC", "DCC", "chief_constable",
	] {
		reasons(with_clearance({"authoriser_rank": rank})) == set()
	}
}

test_clearance_rank_too_low_just_below_chief_inspector if {
	every rank in ["inspector", "DI", "Insp", "Det. Inspector", "DC", "DS", "PC", "A/DCI", "Acting Chief Inspector"] {
		reasons(with_clearance({"authoriser_rank": rank})) == {"clearance_rank_too_low"}
	}
}

# in_force is the counselling request made by someone in the given force.
in_force(force) := patch(counselling_request, {"requester": {"force": force}})

in_force_cleared_by(force, rank) := patch(in_force(force), {"clearance": {"authoriser_rank": rank}})

test_clearance_met_ranks_only_in_the_met if {
	every rank in ["commander", "Cdr", "deputy_assistant_commissioner", "DAC", "assistant_commissioner", "AC", "deputy_commissioner", "DepCom", "commissioner"] {
		reasons(in_force_cleared_by("Metropolitan Police Service", rank)) == set()
		reasons(in_force_cleared_by("West Yorkshire Police", rank)) == {"clearance_rank_too_low"}
	}
	reasons(in_force_cleared_by("metropolitan", "chief_constable")) == {"clearance_rank_too_low"}
	reasons(in_force_cleared_by("Met", "DCI")) == set()
	reasons(in_force_cleared_by("Met", "Inspector")) == {"clearance_rank_too_low"}
}

test_clearance_city_of_london_ladder_only_in_the_city if {
	every rank in ["commander", "assistant_commissioner", "commissioner", "DCI"] {
		reasons(in_force_cleared_by("City of London Police", rank)) == set()
	}
	reasons(in_force_cleared_by("City of London Police", "deputy_assistant_commissioner")) == {"clearance_rank_too_low"}
	reasons(in_force_cleared_by("City of London Police", "ACC")) == {"clearance_rank_too_low"}
}

test_clearance_territorial_ladder_for_btp_and_mod_police if {
	btp := patch(in_force_cleared_by("British Transport Police", "DCI"), {"requester": {"body": "btp"}})
	reasons(btp) == set()
	reasons(patch(btp, {"clearance": {"authoriser_rank": "commander"}})) == {"clearance_rank_too_low"}
	mdp := patch(in_force_cleared_by("Ministry of Defence Police", "Supt"), {"requester": {"body": "mod_police"}})
	reasons(mdp) == set()
}

# service is a counselling request by a body other than a police force.
service(body, force, rank) := patch(counselling_request, {
	"requester": {"body": body, "force": force},
	"clearance": {"authoriser_rank": rank},
})

test_clearance_non_police_bodies_cannot_clear_until_configured if {
	every case in [
		["service_police", "Royal Navy Police", "Commander"],
		["service_police", "Royal Military Police", "chief_inspector"],
		["service_police", "RAF Police", "Wing Commander"],
		["service_police_complaints", "Service Police Complaints Commissioner", "commissioner"],
		["nca", "National Crime Agency", "Grade 2"],
		["iopc", "Independent Office for Police Conduct", "DCI"],
	] {
		reasons(service(case[0], case[1], case[2])) == {"clearance_rank_too_low"}
	}
}

nca_grades := {"rank_ladders": {"national_crime_agency": {"grade_2": 40, "grade_3": 30}}}

test_clearance_non_police_grade_clears_once_configured if {
	req := service("nca", "NCA", "Grade 2")
	r := reasons(req) with config_overrides as nca_grades
	r == set()
	low := reasons(service("nca", "NCA", "Grade 3")) with config_overrides as nca_grades
	low == {"clearance_rank_too_low"}
}

test_clearance_rank_read_on_the_contractors_engaging_organisation if {
	met := patch(in_force_cleared_by("Metropolitan Police Service", "Cdr"), {"requester": {"body": "contractor"}})
	reasons(met) == set()
	wy := patch(in_force_cleared_by("West Yorkshire Police", "Cdr"), {"requester": {"body": "contractor"}})
	reasons(wy) == {"clearance_rank_too_low"}
}

test_clearance_rank_too_low_when_organisation_ladder_missing if {
	r := reasons(counselling_request) with config_overrides as {"organisations": {"west_yorkshire": {"ladder": "no_such_ladder"}}}
	r == {"clearance_rank_too_low"}
}

test_clearance_too_long_just_over_the_maximum if {
	reasons(with_clearance({"granted_at": "2026-05-20T09:00:00Z", "expires_at": "2026-08-18T09:00:00Z"})) == set()
	reasons(with_clearance({"granted_at": "2026-05-20T09:00:00Z", "expires_at": "2026-08-18T09:00:00.000000001Z"})) == {"clearance_too_long"}
	reasons(with_clearance({"expires_at": "2099-12-31T23:59:59Z"})) == {"clearance_too_long"}
}

test_clearance_too_long_follows_the_data if {
	r := reasons(counselling_request) with config_overrides as {"maximum_clearance_days": 30}
	r == {"clearance_too_long"}
	d := decide(counselling_request) with config_overrides as {"maximum_clearance_days": 30}
	endswith(d.reasons[0].message, "Longest lifetime allowed: 30 days.")
	reasons(counselling_request) with config_overrides as {"maximum_clearance_days": 87}
}

test_clearance_too_long_defaults_to_ninety_days if {
	r := reasons(with_clearance({"expires_at": "2026-08-18T09:00:01Z"})) with config_overrides as {"maximum_clearance_days": "ninety"}
	r == {"clearance_too_long"}
}

test_clearance_self_authorised_ignores_punctuation_and_spaces if {
	req := patch(counselling_request, {"requester": {"id": "PC-4821"}, "clearance": {"authoriser_id": "PC 4821"}})
	reasons(req) == {"clearance_self_authorised"}
	other := patch(req, {"clearance": {"authoriser_id": "PC 4822"}})
	reasons(other) == set()
}

test_clearance_references_cite_the_announcement_not_the_presumption if {
	d := decide(without(counselling_request, ["clearance"]))
	d.reasons[0].code == "clearance_missing"
	startswith(d.reasons[0].reference, "Home Office announcement of 12 January 2026")
	not contains(d.reasons[0].reference, "s.44D")
}

test_clearance_self_authorised_when_authoriser_is_requester if {
	reasons(with_clearance({"authoriser_id": "DC-4521"})) == {"clearance_self_authorised"}
}

test_clearance_self_authorised_ignores_case_and_whitespace if {
	reasons(with_clearance({"authoriser_id": " dc-4521 "})) == {"clearance_self_authorised"}
}

test_clearance_self_authorised_absent_when_both_ids_missing if {
	req := without(with_clearance({"authoriser_id": ""}), ["requester/id"])
	reasons(req) == {"clearance_incomplete"}
}

test_clearance_not_yet_valid_when_granted_after_now if {
	reasons(with_clearance({"granted_at": "2026-06-01T00:00:01Z"})) == {"clearance_not_yet_valid"}
}

test_clearance_valid_when_granted_at_now if {
	reasons(with_clearance({"granted_at": now})) == set()
}

test_clearance_expired_when_expiry_equals_now if {
	reasons(with_clearance({"expires_at": now})) == {"clearance_expired"}
}

test_clearance_expired_when_expiry_before_now if {
	reasons(with_clearance({"expires_at": "2026-02-01T00:00:00Z"})) == {"clearance_expired"}
}

test_clearance_valid_when_expiry_after_now if {
	reasons(with_clearance({"expires_at": "2026-06-01T00:00:01Z"})) == set()
}

test_clearance_scope_mismatch_when_crime_reference_differs if {
	reasons(with_clearance({"crime_reference": "CR-2025-000001"})) == {"clearance_scope_mismatch"}
}

test_clearance_scope_mismatch_when_crime_reference_missing_from_clearance if {
	reasons(without(counselling_request, ["clearance/crime_reference"])) == {"clearance_scope_mismatch"}
}

test_clearance_scope_mismatch_when_victim_differs if {
	reasons(with_clearance({"victim_id": "V-0000"})) == {"clearance_scope_mismatch"}
}

test_clearance_scope_mismatch_when_victim_missing_from_both if {
	req := without(counselling_request, ["clearance/victim_id", "record/victim_id"])
	reasons(req) == {"clearance_scope_mismatch"}
}

test_clearance_scope_mismatch_when_category_not_covered if {
	reasons(with_clearance({"categories": ["RECORD_CATEGORY_MEDICAL"]})) == {"clearance_scope_mismatch"}
	reasons(with_clearance({"categories": []})) == {"clearance_scope_mismatch"}
	reasons(with_clearance({"categories": "RECORD_CATEGORY_COUNSELLING"})) == {"clearance_scope_mismatch"}
}

test_clearance_scope_mismatch_when_counselling_holder_and_category_not_covered if {
	req := patch(medical_request, {
		"record": {"holder_provides_counselling": true},
		"justification": counselling_request.justification,
		"clearance": counselling_request.clearance,
	})
	reasons(req) == {"clearance_scope_mismatch"}
}

test_clearance_several_reasons_at_once if {
	req := with_clearance({
		"authoriser_id": "DC-4521",
		"authoriser_rank": "sergeant",
		"expires_at": "2026-02-01T00:00:00Z",
		"victim_id": "V-0000",
	})
	reasons(req) == {
		"clearance_expired",
		"clearance_rank_too_low",
		"clearance_scope_mismatch",
		"clearance_self_authorised",
	}
}
