package vir.authz_test

test_information_not_specified_when_missing if {
	reasons(without(counselling_request, ["record/information_sought"])) == {"information_not_specified"}
}

test_information_not_specified_when_whitespace if {
	reasons(patch(counselling_request, {"record": {"information_sought": " \n "}})) == {"information_not_specified"}
}

test_whole_file_requested_when_true if {
	reasons(patch(medical_request, {"record": {"whole_file": true}})) == {"whole_file_requested"}
}

test_whole_file_requested_absent_when_false if {
	reasons(patch(medical_request, {"record": {"whole_file": false}})) == set()
}

test_period_not_bounded_when_start_missing if {
	reasons(without(medical_request, ["record/period_start"])) == {"period_not_bounded"}
}

test_period_not_bounded_when_end_missing if {
	reasons(without(medical_request, ["record/period_end"])) == {"period_not_bounded"}
}

test_period_not_bounded_when_start_after_end if {
	req := patch(medical_request, {"record": {
		"period_start": "2025-04-01T00:00:00Z",
		"period_end": "2025-03-01T00:00:00Z",
	}})
	reasons(req) == {"period_not_bounded"}
}

test_period_not_bounded_absent_when_start_equals_end if {
	req := patch(medical_request, {"record": {
		"period_start": "2025-03-15T00:00:00Z",
		"period_end": "2025-03-15T00:00:00Z",
	}})
	reasons(req) == set()
}

test_period_not_bounded_when_timestamp_invalid if {
	reasons(patch(medical_request, {"record": {"period_end": "last March"}})) == {"period_not_bounded"}
}

test_crime_reference_missing_when_missing if {
	reasons(without(medical_request, ["investigation/crime_reference"])) == {"crime_reference_missing"}
}

test_line_of_enquiry_missing_when_missing if {
	reasons(without(medical_request, ["investigation/line_of_enquiry"])) == {"line_of_enquiry_missing"}
}

test_crime_reference_and_line_of_enquiry_missing_when_no_investigation if {
	reasons(without(medical_request, ["investigation"])) == {"crime_reference_missing", "line_of_enquiry_missing"}
}

test_holder_not_specified_when_missing if {
	reasons(without(medical_request, ["record/holder"])) == {"holder_not_specified"}
	reasons(patch(medical_request, {"record": {"holder": "  "}})) == {"holder_not_specified"}
	reasons(patch(medical_request, {"record": {"holder": "X"}})) == set()
}

test_holder_id_alone_does_not_name_the_holder if {
	req := without(patch(medical_request, {"record": {"holder_id": "M85001"}}), ["record/holder"])
	reasons(req) == {"holder_not_specified"}
}

test_line_of_enquiry_missing_when_not_substantive if {
	reasons(patch(medical_request, {"investigation": {"line_of_enquiry": "n/a"}})) == {"line_of_enquiry_missing"}
	reasons(patch(medical_request, {"investigation": {"line_of_enquiry": "abcde fghij klmno pqrst uvwx"}})) == {"line_of_enquiry_missing"}
	reasons(patch(medical_request, {"investigation": {"line_of_enquiry": "abcde fghij klmno pqrst uvwxy"}})) == set()
}
