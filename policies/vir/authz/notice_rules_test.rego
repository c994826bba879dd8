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

test_notify_victim_obligation_when_deferred if {
	req := with_notice({"status": "NOTICE_STATUS_DEFERRED"})
	reasons(req) == set()
	obligations(req) == {"notify_victim"}
}

test_notify_victim_obligation_absent_when_given if {
	obligations(counselling_request) == set()
}

test_notice_recipient_invalid_when_given_without_recipient if {
	reasons(with_notice({"status": "NOTICE_STATUS_GIVEN"})) == {"notice_recipient_invalid"}
	reasons(with_notice({
		"status": "NOTICE_STATUS_GIVEN",
		"recipient": "NOTICE_RECIPIENT_UNSPECIFIED",
	})) == {"notice_recipient_invalid"}
}

test_notice_recipient_invalid_when_child_victim_given_notice_directly if {
	req := patch(counselling_request, {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(req) == {"notice_recipient_invalid"}
}

test_notice_recipient_invalid_when_child_victim_deferred_notice_to_victim if {
	req := patch(with_notice({"status": "NOTICE_STATUS_DEFERRED", "recipient": "NOTICE_RECIPIENT_VICTIM"}), {"record": {"victim_under_18_or_lacking_capacity": true}})
	reasons(req) == {"notice_recipient_invalid"}
}

test_notice_recipient_valid_when_child_victim_notice_to_adult if {
	every recipient in [
		"NOTICE_RECIPIENT_PARENT_OR_GUARDIAN",
		"NOTICE_RECIPIENT_CARE_REPRESENTATIVE",
		"NOTICE_RECIPIENT_APPROPRIATE_ADULT",
	] {
		req := patch(with_notice({"status": "NOTICE_STATUS_GIVEN", "recipient": recipient}), {"record": {"victim_under_18_or_lacking_capacity": true}})
		reasons(req) == set()
	}
}
