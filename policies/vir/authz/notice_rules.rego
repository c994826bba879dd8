# Notice to the victim.
#
# The victim must be given written notice of the request on or before the
# date it is made, or as soon as reasonably practicable afterwards, unless
# notice is withheld on a statutory ground (PCSCA 2022 s.44B). Notice for a
# victim under 18 or an adult lacking capacity goes to a parent or guardian,
# a care representative or another appropriate adult (s.44B(4)).
package vir.authz

notice_status := text(victim_notice, "status")

notice_recipient := text(victim_notice, "recipient")

# The grounds on which notice may be withheld (s.44B(5)).
statutory_withholding_grounds := {
	"WITHHOLDING_GROUND_NOT_REASONABLY_PRACTICABLE",
	"WITHHOLDING_GROUND_INTERFERE_WITH_INVESTIGATION",
	"WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM",
}

notice_recipients := {
	"NOTICE_RECIPIENT_VICTIM",
	"NOTICE_RECIPIENT_PARENT_OR_GUARDIAN",
	"NOTICE_RECIPIENT_CARE_REPRESENTATIVE",
	"NOTICE_RECIPIENT_APPROPRIATE_ADULT",
}

notice_satisfied if notice_status == "NOTICE_STATUS_GIVEN"

notice_satisfied if notice_status == "NOTICE_STATUS_DEFERRED"

notice_satisfied if {
	notice_status == "NOTICE_STATUS_WITHHELD"
	text(victim_notice, "withheld_ground") in statutory_withholding_grounds
}

reason_codes contains "victim_notice_missing" if {
	not notice_satisfied
}

finding_text["victim_notice_missing"] := {
	"message": "The request does not show that the victim was or will be given notice, or that notice is withheld on a statutory ground.",
	"reference": "PCSCA 2022 s.44B(1), (5)",
}

# A given notice must say when it was given, and not later than the decision
# time allowing for clock skew: a notice dated in the future does not show
# that notice was given on or before the date of the request (s.44B(3)).
reason_codes contains "notice_date_invalid" if {
	notice_status == "NOTICE_STATUS_GIVEN"
	missing_timestamp(victim_notice, "given_at")
}

reason_codes contains "notice_date_invalid" if {
	notice_status == "NOTICE_STATUS_GIVEN"
	timestamp_ns(victim_notice, "given_at") > now_ns + (config_number("notice_clock_skew_seconds", 300) * 1000000000)
}

finding_text["notice_date_invalid"] := {
	"message": "A notice marked as given must say when it was given, and that time must not be later than the time of this request.",
	"reference": "PCSCA 2022 s.44B(3)",
}

# Deferring notice needs a reason on record: notice on or before the date of
# the request was not reasonably practicable (s.44B(3)).
reason_codes contains "notice_deferral_not_justified" if {
	notice_status == "NOTICE_STATUS_DEFERRED"
	not stated(victim_notice, "deferral_reason")
}

finding_text["notice_deferral_not_justified"] := {
	"message": "Notice may be given after the request only where notice on or before it was not reasonably practicable. The request does not say why that was so.",
	"reference": "PCSCA 2022 s.44B(3)(b)",
}

# victim_represented: the victim is under 18 or an adult lacking capacity,
# so notice goes to someone else on their behalf (s.44B(4)).
victim_represented if flag(record, "victim_under_18_or_lacking_capacity")

# The recipients who receive notice on a represented victim's behalf.
representative_recipients := notice_recipients - {"NOTICE_RECIPIENT_VICTIM"}

# An unspecified recipient reads as the victim.
notice_recipient_given if not notice_recipient in {"", "NOTICE_RECIPIENT_UNSPECIFIED"}

reason_codes contains "notice_recipient_invalid" if {
	notice_status == "NOTICE_STATUS_GIVEN"
	victim_represented
	not notice_recipient in representative_recipients
}

reason_codes contains "notice_recipient_invalid" if {
	notice_status == "NOTICE_STATUS_DEFERRED"
	victim_represented
	notice_recipient == "NOTICE_RECIPIENT_VICTIM"
}

# A withheld notice has no recipient, so only given and deferred notices are
# checked.
reason_codes contains "notice_recipient_invalid" if {
	notice_status in {"NOTICE_STATUS_GIVEN", "NOTICE_STATUS_DEFERRED"}
	not victim_represented
	notice_recipient_given
	notice_recipient != "NOTICE_RECIPIENT_VICTIM"
}

finding_text["notice_recipient_invalid"] := {
	"message": "The notice went, or is to go, to the wrong person. For an adult with capacity it goes to the victim. For a victim under 18 or lacking capacity it goes to a parent or guardian, a representative of the local authority or voluntary organisation caring for them, or another appropriate adult, not to the victim, and a given notice must name which.",
	"reference": "PCSCA 2022 s.44B(1), (4)",
}

obligation_codes contains "notify_victim" if {
	notice_status == "NOTICE_STATUS_DEFERRED"
}

finding_text["notify_victim"] := {
	"message": "Give written notice of this request as soon as reasonably practicable, saying what is sought, why, and how it will be dealt with.",
	"reference": "PCSCA 2022 s.44B(1)-(4)",
}

finding_detail["notify_victim"] := notice_recipient_text

notice_recipient_text := "The victim is under 18 or lacks capacity, so the notice goes to a parent or guardian, or a representative of the local authority or voluntary organisation caring for them, or if there is none another appropriate adult; not to the victim." if {
	victim_represented
} else := "The notice goes to the victim."
