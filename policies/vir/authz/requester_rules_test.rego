package vir.authz_test

with_body(body) := patch(counselling_request, {"requester": {"body": body}})

test_requester_not_authorised_when_cps if {
	reasons(with_body("cps")) == {"requester_not_authorised"}
}

test_requester_not_authorised_when_body_unknown if {
	reasons(with_body("private_investigator")) == {"requester_not_authorised"}
}

test_requester_not_authorised_when_body_missing if {
	reasons(without(counselling_request, ["requester/body"])) == {"requester_not_authorised"}
	reasons(with_body("  ")) == {"requester_not_authorised"}
}

test_requester_not_authorised_when_requester_missing if {
	reasons(without(counselling_request, ["requester"])) == {"requester_not_authorised"}
}

# requester_from is a medical request (no clearance) by body in force.
requester_from(body, force) := patch(medical_request, {"requester": {"body": body, "force": force}})

test_requester_authorised_for_every_body_with_its_organisation if {
	every case in [
		["police", "West Yorkshire Police"],
		["police_staff", "west_yorkshire"],
		["city_of_london", "City of London Police"],
		["btp", "British Transport Police"],
		["mod_police", "Ministry of Defence Police"],
		["nca", "National Crime Agency"],
		["iopc", "Independent Office for Police Conduct"],
		["service_police", "Royal Navy Police"],
		["service_police", "Royal Military Police"],
		["service_police", "Royal Air Force Police"],
		["service_police_complaints", "Service Police Complaints Commissioner"],
		["contractor", "Thames Valley Police"],
		["contractor", "NCA"],
	] {
		reasons(requester_from(case[0], case[1])) == set()
	}
}

test_requester_force_matched_ignoring_case_spaces_and_punctuation if {
	every force in ["WEST YORKSHIRE POLICE", " west-yorkshire ", "West_Yorkshire", "Metropolitan Police Service", "metropolitan police", "Dyfed Powys Police", "dyfed-powys"] {
		reasons(requester_from("police", force)) == set()
	}
}

test_requester_authorised_when_body_differs_only_in_case if {
	reasons(requester_from(" BTP ", "BTP")) == set()
}

test_requester_not_authorised_outside_england_and_wales if {
	every force in ["Police Scotland", "Police Service of Northern Ireland", "PSNI", "Example Constabulary", "", "  ", "West Yorkshire Polic"] {
		reasons(requester_from("police", force)) == {"requester_not_authorised"}
	}
	reasons(without(medical_request, ["requester/force"])) == {"requester_not_authorised"}
}

test_requester_not_authorised_when_body_and_organisation_do_not_match if {
	reasons(requester_from("police", "British Transport Police")) == {"requester_not_authorised"}
	reasons(requester_from("nca", "West Yorkshire Police")) == {"requester_not_authorised"}
	reasons(requester_from("service_police", "Service Police Complaints Commissioner")) == {"requester_not_authorised"}
	reasons(requester_from("city_of_london", "Metropolitan Police Service")) == {"requester_not_authorised"}
}

test_requester_not_authorised_when_cps_in_any_spelling if {
	every force in ["Crown Prosecution Service", "CPS", "cps", "C.P.S.", "CPS Wessex"] {
		reasons(requester_from("police", force)) == {"requester_not_authorised"}
		reasons(requester_from("contractor", force)) == {"requester_not_authorised"}
		reasons(requester_from("cps", force)) == {"requester_not_authorised"}
	}
}

test_requester_contractor_must_name_an_authorised_engaging_organisation if {
	reasons(requester_from("contractor", "Police Scotland")) == {"requester_not_authorised"}
	reasons(requester_from("contractor", "")) == {"requester_not_authorised"}
	reasons(requester_from("contractor", "Metropolitan Police Service")) == set()
}

test_requester_not_authorised_when_organisations_missing_from_data if {
	r := reasons(medical_request) with config_overrides as {"organisation_aliases": null}
	r == {"requester_not_authorised"}
	r2 := reasons(medical_request) with config_overrides as {"organisations": null}
	r2 == {"requester_not_authorised"}
}

test_requester_not_authorised_when_body_removed_from_data if {
	r := reasons(requester_from("contractor", "West Yorkshire Police")) with config_overrides as {"authorised_bodies": ["police"]}
	r == {"requester_not_authorised"}
}
