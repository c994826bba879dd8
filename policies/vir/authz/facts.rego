# Facts for the audit record.
#
# What the policy established about the request, as decision.facts, so the
# audit record keeps it (issue 14): whether it is a counselling request, the
# requester's organisation, the authoriser's rank as read on the rank
# ladders, and how notice was dealt with (PCSCA 2022 s.44B). Each value is a
# string, a boolean or null; null when the policy established nothing.
package vir.authz

facts := {
	"counselling": counselling_request_fact,
	"requester_org": requester_org_fact,
	"authoriser_rank": authoriser_rank_fact,
	"notice_status": object.get(notice_status_facts, notice_status, null),
	"withholding_ground": withholding_ground_fact,
}

counselling_request_fact if counselling_request

else := false

requester_org_fact := c if {
	c := requester_organisation_code
} else := null

# authoriser_rank_fact is the rank code the authoriser's rank reads as, after
# prefixes and aliases (ranks.rego).
authoriser_rank_fact := c if {
	authoriser_rank != ""
	c := authoriser_reading.code
} else := null

notice_status_facts := {
	"NOTICE_STATUS_GIVEN": "given",
	"NOTICE_STATUS_DEFERRED": "deferred",
	"NOTICE_STATUS_WITHHELD": "withheld",
}

# withholding_ground_fact is the statutory ground notice is withheld on, in
# lower case without its prefix ("risk_of_serious_harm").
withholding_ground_fact := lower(trim_prefix(ground, "WITHHOLDING_GROUND_")) if {
	notice_status == "NOTICE_STATUS_WITHHELD"
	ground := text(victim_notice, "withheld_ground")
	ground in statutory_withholding_grounds
} else := null
