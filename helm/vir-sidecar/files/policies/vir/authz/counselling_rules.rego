# Counselling information requests.
#
# A counselling information request is one made to a provider of counselling
# services (PCSCA 2022 s.44A(5)); what matters is who holds the record. It
# needs a stated substantial probative value (s.44A(4)) and a recorded
# rebuttal of the presumption that it is not necessary and proportionate
# (s.44D(2)). Counselling requests also always need clearance (see
# clearance_rules.rego).
package vir.authz

counselling_request if {
	text(record, "category") == "RECORD_CATEGORY_COUNSELLING"
}

counselling_request if {
	flag(record, "holder_provides_counselling")
}

reason_codes contains "probative_value_not_stated" if {
	counselling_request
	missing_text(justification, "probative_value")
}

finding_text["probative_value_not_stated"] := {
	"message": "A counselling request must state why the information is likely to have substantial probative value to the line of enquiry.",
	"reference": "PCSCA 2022 s.44A(4)",
}

reason_codes contains "presumption_not_rebutted" if {
	counselling_request
	missing_text(justification, "presumption_rebuttal")
}

finding_text["presumption_not_rebutted"] := {
	"message": "A counselling request starts from the presumption that it is not necessary and proportionate. The request does not record how that presumption was rebutted.",
	"reference": "PCSCA 2022 s.44D(2); Victim Information Request Code of Practice",
}
