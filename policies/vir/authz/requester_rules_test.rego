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

test_requester_authorised_for_every_listed_body if {
	bodies := [
		"police", "police_staff", "city_of_london", "btp", "mod_police",
		"nca", "iopc", "service_police", "service_police_complaints", "contractor",
	]
	every body in bodies {
		reasons(with_body(body)) == set()
	}
}

test_requester_authorised_when_body_differs_only_in_case if {
	reasons(with_body(" BTP ")) == set()
}

test_requester_not_authorised_when_body_removed_from_data if {
	r := reasons(with_body("contractor")) with data.vir.config.authorised_bodies as ["police"]
	r == {"requester_not_authorised"}
}
