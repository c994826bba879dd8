# Senior officer clearance.
#
# Counselling requests must be cleared by an officer of at least the
# counselling minimum rank (chief inspector by default) who is not the
# requester. Other categories need clearance only when
# data.vir.config.categories sets a minimum rank for them; otherwise any
# clearance sent with them is not checked.
package vir.authz

category_settings := s if {
	s := config.categories[text(record, "category")]
	is_object(s)
} else := {}

counselling_minimum_rank := r if {
	r := config.categories.RECORD_CATEGORY_COUNSELLING.minimum_clearance_rank
	is_string(r)
	trim_space(r) != ""
} else := "chief_inspector"

# minimum_ranks are all the minimum ranks that apply to this request.
minimum_ranks contains counselling_minimum_rank if counselling_request

minimum_ranks contains r if {
	r := category_settings.minimum_clearance_rank
	is_string(r)
	trim_space(r) != ""
}

clearance_required if count(minimum_ranks) > 0

# clearance_checked: clearance is required and one was given, so its details
# are checked.
clearance_checked if {
	clearance_required
	not missing_text(clearance, "id")
}

reason_codes contains "clearance_missing" if {
	clearance_required
	missing_text(clearance, "id")
}

finding_text["clearance_missing"] := {
	"message": "This request needs clearance by a senior officer, and none was given.",
	"reference": "PCSCA 2022 s.44D(2); Victim Information Request Code of Practice",
}

reason_codes contains "clearance_incomplete" if {
	clearance_checked
	some field in ["authoriser_id", "authoriser_rank"]
	missing_text(clearance, field)
}

reason_codes contains "clearance_incomplete" if {
	clearance_checked
	some field in ["granted_at", "expires_at"]
	missing_timestamp(clearance, field)
}

finding_text["clearance_incomplete"] := {
	"message": "The clearance must give the authoriser's identifier and rank, when it was granted and when it expires.",
	"reference": "Victim Information Request Code of Practice",
}

authoriser_rank := text(clearance, "authoriser_rank")

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	authoriser_rank != ""
	not rank_level(authoriser_rank)
}

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	authoriser_rank != ""
	some minimum in minimum_ranks
	not rank_level(minimum)
}

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	some minimum in minimum_ranks
	rank_level(authoriser_rank) < rank_level(minimum)
}

finding_text["clearance_rank_too_low"] := {
	"message": "The clearance was given by an officer below the minimum rank for this request, or the rank is not a known police rank.",
	"reference": "Victim Information Request Code of Practice",
}

finding_detail["clearance_rank_too_low"] := sprintf("Minimum rank for this request: %s.", [concat(" and ", sort(minimum_ranks))])

reason_codes contains "clearance_self_authorised" if {
	clearance_checked
	authoriser := lower(text(clearance, "authoriser_id"))
	authoriser != ""
	authoriser == lower(text(requester, "id"))
}

finding_text["clearance_self_authorised"] := {
	"message": "The requester cleared their own request. Clearance must come from another officer.",
	"reference": "Victim Information Request Code of Practice",
}

reason_codes contains "clearance_not_yet_valid" if {
	clearance_checked
	timestamp_ns(clearance, "granted_at") > now_ns
}

finding_text["clearance_not_yet_valid"] := {
	"message": "The clearance is dated after the time of this request.",
	"reference": "Victim Information Request Code of Practice",
}

reason_codes contains "clearance_expired" if {
	clearance_checked
	timestamp_ns(clearance, "expires_at") <= now_ns
}

finding_text["clearance_expired"] := {
	"message": "The clearance has expired.",
	"reference": "Victim Information Request Code of Practice",
}

clearance_categories := {c | some c in object.get(clearance, "categories", []); is_string(c)} if {
	is_array(object.get(clearance, "categories", []))
} else := set()

reason_codes contains "clearance_scope_mismatch" if {
	clearance_checked
	some clearance_field, request_value in {
		"crime_reference": text(investigation, "crime_reference"),
		"victim_id": text(record, "victim_id"),
	}
	not same_text(text(clearance, clearance_field), request_value)
}

reason_codes contains "clearance_scope_mismatch" if {
	clearance_checked
	not text(record, "category") in clearance_categories
}

# same_text: both texts are given and equal.
same_text(a, b) if {
	a != ""
	a == b
}

finding_text["clearance_scope_mismatch"] := {
	"message": "The clearance does not cover this request: its crime reference, victim or record categories differ from the request's.",
	"reference": "Victim Information Request Code of Practice",
}
