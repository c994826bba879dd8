# Counselling information requests.
#
# A counselling information request is one made to a provider of counselling
# services (PCSCA 2022 s.44A(5)); what matters is who receives the request,
# not the caller's label. It is one when the category is counselling, when
# the caller says the holder provides counselling, when the holder's
# identifier or name is in data.vir.config.counselling_providers, or when the
# holder's name contains a term in counselling_provider_terms.
# It needs a stated substantial probative value (s.44A(4)) and a recorded
# rebuttal of the presumption that it is not necessary and proportionate
# (s.44D(2)). Counselling requests also always need clearance (see
# clearance_rules.rego).
package vir.authz

# counselling_marked: the caller marked the request as a counselling request.
counselling_marked if {
	text(record, "category") == "RECORD_CATEGORY_COUNSELLING"
}

counselling_marked if {
	flag(record, "holder_provides_counselling")
}

# counselling_holder: the holder is a counselling provider by the registry or
# by its name.
counselling_holder if {
	some field in ["holder_id", "holder"]
	key := normalised_key(text(record, field))
	key != ""
	data.vir.config.counselling_providers[key] != null
}

counselling_holder if {
	words := padded_words(text(record, "holder"))
	some term in config_list("counselling_provider_terms")
	is_string(term)
	term != ""
	contains(words, term)
}

counselling_request if counselling_marked

counselling_request if counselling_holder

# Most requests are marked, so that is looked at first.
advice_codes contains "holder_treated_as_counselling" if {
	not counselling_marked
	counselling_holder
}

finding_text["holder_treated_as_counselling"] := {
	"message": "The holder is a provider of counselling services by the force's registry or by its name, so this is a counselling request and every counselling rule applies, although the request was not marked as one.",
	"reference": "PCSCA 2022 s.44A(5); Counselling Services Regulations 2025",
}

reason_codes contains "probative_value_not_stated" if {
	counselling_request
	not stated(justification, "probative_value")
}

finding_text["probative_value_not_stated"] := {
	"message": "A counselling request must state why the information is likely to have substantial probative value to the line of enquiry.",
	"reference": "PCSCA 2022 s.44A(4)",
}

reason_codes contains "presumption_not_rebutted" if {
	counselling_request
	not stated(justification, "presumption_rebuttal")
}

finding_text["presumption_not_rebutted"] := {
	"message": "A counselling request starts from the presumption that it is not necessary and proportionate. The request does not record how that presumption was rebutted.",
	"reference": "PCSCA 2022 s.44D(2)(a)-(b); Victim Information Request Code of Practice (steps for rebutting the presumption)",
}
