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
	"reference": "PCSCA 2022 s.44B",
}

reason_codes contains "notice_recipient_invalid" if {
	notice_status == "NOTICE_STATUS_GIVEN"
	not notice_recipient in notice_recipients
}

reason_codes contains "notice_recipient_invalid" if {
	flag(record, "victim_under_18_or_lacking_capacity")
	notice_recipient == "NOTICE_RECIPIENT_VICTIM"
}

finding_text["notice_recipient_invalid"] := {
	"message": "The notice must name who received it. For a victim under 18 or lacking capacity it goes to a parent or guardian, a care representative or another appropriate adult, not to the victim.",
	"reference": "PCSCA 2022 s.44B(4)-(5)",
}

obligation_codes contains "notify_victim" if {
	notice_status == "NOTICE_STATUS_DEFERRED"
}

finding_text["notify_victim"] := {
	"message": "Give the victim written notice of this request as soon as reasonably practicable, saying what is sought, why, and how it will be dealt with.",
	"reference": "PCSCA 2022 s.44B(2)-(3)",
}
