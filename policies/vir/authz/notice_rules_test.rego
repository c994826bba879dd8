package vir.authz_test

with_notice(notice) := object.union(object.remove(counselling_request, ["victim_notice"]), {"victim_notice": notice})

test_victim_notice_missing_when_absent if {
	reasons(without(counselling_request, ["victim_notice"])) == {"victim_notice_missing"}
}

test_victim_notice_missing_when_status_unspecified if {
	reasons(with_notice({"status": "NOTICE_STATUS_UNSPECIFIED"})) == {"victim_notice_missing"}
	reasons(with_notice({})) == {"victim_notice_missing"}
}

test_victim_notice_missing_when_status_unknown if {
	reasons(with_notice({"status": "NOTICE_STATUS_MAYBE"})) == {"victim_notice_missing"}
}

test_victim_notice_missing_when_withheld_without_ground if {
	reasons(with_notice({"status": "NOTICE_STATUS_WITHHELD"})) == {"victim_notice_missing"}
	reasons(with_notice({
		"status": "NOTICE_STATUS_WITHHELD",
		"withheld_ground": "WITHHOLDING_GROUND_UNSPECIFIED",
	})) == {"victim_notice_missing"}
}

test_victim_notice_satisfied_when_withheld_on_each_statutory_ground if {
	every ground in [
		"WITHHOLDING_GROUND_NOT_REASONABLY_PRACTICABLE",
		"WITHHOLDING_GROUND_INTERFERE_WITH_INVESTIGATION",
		"WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM",
	] {
		reasons(with_notice({"status": "NOTICE_STATUS_WITHHELD", "withheld_ground": ground})) == set()
	}
}

deferral_reason := "The victim was in hospital on the date of the request and could not be contacted."

deferred := with_notice({"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": deferral_reason})

test_notify_victim_obligation_when_deferred if {
	reasons(deferred) == set()
	obligations(deferred) == {"notify_victim"}
	endswith(decide(deferred).obligations[0].message, "The notice goes to the victim.")
}

test_notify_victim_obligation_names_the_representative_for_a_child if {
	req := patch(deferred, {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(req) == set()
	message := decide(req).obligations[0].message
	contains(message, "a parent or guardian")
	endswith(message, "not to the victim.")
}

test_notice_deferral_not_justified_without_a_reason if {
	reasons(with_notice({"status": "NOTICE_STATUS_DEFERRED"})) == {"notice_deferral_not_justified"}
	reasons(with_notice({"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": "tbc"})) == {"notice_deferral_not_justified"}
	reasons(with_notice({"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": "abcde fghij klmno pqrst uvwx"})) == {"notice_deferral_not_justified"}
	reasons(with_notice({"status": "NOTICE_STATUS_DEFERRED", "deferral_reason": "abcde fghij klmno pqrst uvwxy"})) == set()
}

given_at(t) := with_notice({"status": "NOTICE_STATUS_GIVEN", "recipient": "NOTICE_RECIPIENT_VICTIM", "given_at": t})

test_notice_date_invalid_when_given_without_a_date if {
	reasons(with_notice({"status": "NOTICE_STATUS_GIVEN", "recipient": "NOTICE_RECIPIENT_VICTIM"})) == {"notice_date_invalid"}
	reasons(given_at("not a time")) == {"notice_date_invalid"}
}

test_notice_date_invalid_when_given_after_the_decision_time_and_skew if {
	reasons(given_at(now)) == set()
	reasons(given_at("2026-06-01T00:05:00Z")) == set()
	reasons(given_at("2026-06-01T00:05:00.000000001Z")) == {"notice_date_invalid"}
	reasons(given_at("2027-01-01T00:00:00Z")) == {"notice_date_invalid"}
	r := reasons(given_at("2026-06-01T00:00:01Z")) with config_overrides as {"notice_clock_skew_seconds": 0}
	r == {"notice_date_invalid"}
}

test_notice_date_not_checked_unless_given if {
	reasons(patch(deferred, {"victim_notice": {"given_at": "2030-01-01T00:00:00Z"}})) == set()
}

test_notice_recipient_invalid_when_adult_notice_goes_to_someone_else if {
	every recipient in [
		"NOTICE_RECIPIENT_PARENT_OR_GUARDIAN",
		"NOTICE_RECIPIENT_CARE_REPRESENTATIVE",
		"NOTICE_RECIPIENT_APPROPRIATE_ADULT",
		"NOTICE_RECIPIENT_SOMEONE",
	] {
		reasons(patch(counselling_request, {"victim_notice": {"recipient": recipient}})) == {"notice_recipient_invalid"}
		reasons(patch(deferred, {"victim_notice": {"recipient": recipient}})) == {"notice_recipient_invalid"}
	}
}

test_notice_recipient_unspecified_reads_as_the_victim_for_an_adult if {
	reasons(without(counselling_request, ["victim_notice/recipient"])) == set()
	reasons(patch(counselling_request, {"victim_notice": {"recipient": "NOTICE_RECIPIENT_UNSPECIFIED"}})) == set()
}

test_notice_recipient_not_checked_when_withheld if {
	withheld := {
		"status": "NOTICE_STATUS_WITHHELD",
		"withheld_ground": "WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM",
		"recipient": "NOTICE_RECIPIENT_VICTIM",
	}
	child := patch(with_notice(withheld), {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(child) == set()
	adult := with_notice(object.union(withheld, {"recipient": "NOTICE_RECIPIENT_PARENT_OR_GUARDIAN"}))
	reasons(adult) == set()
}

test_notice_recipient_reference_cites_subsections_1_and_4 if {
	d := decide(patch(counselling_request, {"victim_notice": {"recipient": "NOTICE_RECIPIENT_APPROPRIATE_ADULT"}}))
	d.reasons[0].reference == "PCSCA 2022 s.44B(1), (4)"
}

test_notify_victim_obligation_absent_when_given if {
	obligations(counselling_request) == set()
}

test_notice_recipient_invalid_when_child_notice_given_without_recipient if {
	child := patch(counselling_request, {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(without(child, ["victim_notice/recipient"])) == {"notice_recipient_invalid"}
	reasons(patch(child, {"victim_notice": {"recipient": "NOTICE_RECIPIENT_UNSPECIFIED"}})) == {"notice_recipient_invalid"}
}

test_notice_recipient_invalid_when_child_victim_given_notice_directly if {
	req := patch(counselling_request, {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(req) == {"notice_recipient_invalid"}
}

test_notice_recipient_invalid_when_child_victim_deferred_notice_to_victim if {
	req := patch(deferred, {"record": {"victim_under_18_or_lacking_capacity": true}, "victim_notice": {"recipient": "NOTICE_RECIPIENT_VICTIM"}})
	reasons(req) == {"notice_recipient_invalid"}
}

test_notice_recipient_valid_when_child_victim_notice_to_adult if {
	every recipient in [
		"NOTICE_RECIPIENT_PARENT_OR_GUARDIAN",
		"NOTICE_RECIPIENT_CARE_REPRESENTATIVE",
		"NOTICE_RECIPIENT_APPROPRIATE_ADULT",
	] {
		req := patch(counselling_request, {"victim_notice": {"recipient": recipient}, "record": {"victim_under_18_or_lacking_capacity": true}})
		reasons(req) == set()
	}
}
