# Written grounds.
#
# The requester must record why the information is relevant, necessary and
# proportionate (PCSCA 2022 s.44A(3)), what less intrusive means were
# considered when more than necessary may be obtained (s.44A(7)-(8)), and how
# the information will be dealt with (s.44C). A statement counts only when it
# says something (see stated in input_fields.rego).
package vir.authz

reason_codes contains "relevance_not_stated" if {
	not stated(justification, "relevance")
}

finding_text["relevance_not_stated"] := {
	"message": "The request does not say why the information is relevant to the line of enquiry.",
	"reference": "PCSCA 2022 s.44A(3)(b)",
}

reason_codes contains "necessity_not_stated" if {
	not stated(justification, "necessity")
}

finding_text["necessity_not_stated"] := {
	"message": "The request does not say why it is necessary.",
	"reference": "PCSCA 2022 s.44A(3)(c)",
}

reason_codes contains "proportionality_not_stated" if {
	not stated(justification, "proportionality")
}

finding_text["proportionality_not_stated"] := {
	"message": "The request does not say why it is proportionate.",
	"reference": "PCSCA 2022 s.44A(3)(c)",
}

# overcollection_risk: the request risks obtaining more information than is
# necessary, because the caller says so or because the request is broad.
overcollection_risk if flag(justification, "overcollection_risk")

overcollection_risk if broad_period

overcollection_risk if count(broad_terms_found) > 0

# broad_period: the period is longer than broad_period_days.
broad_period if {
	timestamp_ns(record, "period_end") - timestamp_ns(record, "period_start") > config_number("broad_period_days", 365) * nanoseconds_per_day
}

# broad_terms_padded maps each broad request term to its padded form for
# whole-word matching. Terms in the data are plain lower-case words
# (config_test.rego checks this).
broad_terms_padded := {t: concat("", [" ", t, " "]) | some t in config_list("broad_request_terms"); is_string(t)}

broad_terms_found contains term if {
	words := padded_words(text(record, "information_sought"))
	some term, padded in broad_terms_padded
	contains(words, padded)
}

reason_codes contains "other_means_not_considered" if {
	overcollection_risk
	not stated(justification, "other_means")
}

finding_text["other_means_not_considered"] := {
	"message": "The request risks obtaining more information than necessary (the caller says so, its period is long, or it asks for all or any of something), but it does not say what other means were considered and why they are not available or not reasonably practicable.",
	"reference": "PCSCA 2022 s.44A(7)-(8)",
}

reason_codes contains "handling_not_stated" if {
	not stated(justification, "handling")
}

finding_text["handling_not_stated"] := {
	"message": "The request does not say how the information will be dealt with once obtained.",
	"reference": "PCSCA 2022 s.44C",
}
