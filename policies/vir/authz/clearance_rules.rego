# Senior officer clearance.
#
# Counselling requests must be cleared by an officer of at least the
# counselling minimum rank (chief inspector by default) who is not the
# requester (Home Office announcement of 12 January 2026; Victim Information
# Request Code of Practice). Other categories need clearance only when
# data.vir.config.categories sets a minimum rank for them; otherwise any
# clearance sent with them is not checked.
# The authoriser's rank is read on the rank ladder of the requester's
# organisation (ranks.rego): the Metropolitan Police and City of London
# Police ladders only there, the territorial ladder for other police forces,
# and a per-body ladder, empty by default, for the other bodies.
package vir.authz

category_settings := s if {
	s := data.vir.config.categories[text(record, "category")]
	is_object(s)
} else := {}

counselling_minimum_rank := r if {
	r := data.vir.config.categories.RECORD_CATEGORY_COUNSELLING.minimum_clearance_rank
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
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute; force setting minimum_clearance_rank (other record categories)",
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
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
}

authoriser_rank := text(clearance, "authoriser_rank")

# clearance_ladder_name is the ladder of the requester's organisation. When
# the organisation is unknown the request is refused anyway
# (requester_not_authorised), and the territorial ladder keeps the clearance
# findings to the clearance itself.
clearance_ladder_name := n if {
	n := requester_organisation.ladder
} else := "territorial"

clearance_ladder := l if {
	l := data.vir.config.rank_ladders[clearance_ladder_name]
	is_object(l)
} else := {}

# authoriser_reading is the authoriser's written rank as read (ranks.rego),
# read once per decision for the rank check and the audit facts.
authoriser_reading := rank_reading(authoriser_rank)

authoriser_level := reading_level_on(clearance_ladder, authoriser_reading)

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	authoriser_rank != ""
	not authoriser_level
}

# minimum_levels maps each minimum rank that is on the territorial ladder to
# its level. Minimum ranks in the config are rank codes (config_test.rego), so
# they are looked up as they are.
minimum_levels := {minimum: level |
	some minimum in minimum_ranks
	level := territorial_ladder[minimum]
	is_number(level)
}

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	authoriser_rank != ""
	some minimum in minimum_ranks
	not minimum_levels[minimum]
}

reason_codes contains "clearance_rank_too_low" if {
	clearance_checked
	some level in minimum_levels
	authoriser_level < level
}

finding_text["clearance_rank_too_low"] := {
	"message": "The clearance was given by an officer below the minimum rank for this request, or the rank is not a rank of the requester's organisation that may clear requests.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute; force setting minimum_clearance_rank (other record categories)",
}

finding_detail["clearance_rank_too_low"] := sprintf("Minimum rank for this request: %s, read on the %s rank ladder.", [concat(" and ", sort(minimum_ranks)), clearance_ladder_name])

# The ids are compared ignoring case, spaces and punctuation, so "PC 4821"
# and "pc-4821" are the same person.
reason_codes contains "clearance_self_authorised" if {
	clearance_checked
	authoriser := normalised_key(text(clearance, "authoriser_id"))
	authoriser != ""
	authoriser == normalised_key(text(requester, "id"))
}

finding_text["clearance_self_authorised"] := {
	"message": "The requester cleared their own request. Clearance must come from another officer.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
}

reason_codes contains "clearance_not_yet_valid" if {
	clearance_checked
	timestamp_ns(clearance, "granted_at") > now_ns
}

finding_text["clearance_not_yet_valid"] := {
	"message": "The clearance is dated after the time of this request.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
}

reason_codes contains "clearance_expired" if {
	clearance_checked
	timestamp_ns(clearance, "expires_at") <= now_ns
}

finding_text["clearance_expired"] := {
	"message": "The clearance has expired.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
}

reason_codes contains "clearance_too_long" if {
	clearance_checked
	timestamp_ns(clearance, "expires_at") - timestamp_ns(clearance, "granted_at") > config_number("maximum_clearance_days", 90) * nanoseconds_per_day
}

finding_text["clearance_too_long"] := {
	"message": "The clearance runs for longer than this force allows between granted_at and expires_at. Ask the authoriser for a clearance with a shorter lifetime.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute; force setting maximum_clearance_days",
}

finding_detail["clearance_too_long"] := sprintf("Longest lifetime allowed: %v days.", [config_number("maximum_clearance_days", 90)])

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
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
}
