# Written grounds.
#
# The requester must record why the information is relevant, necessary and
# proportionate (PCSCA 2022 s.44A(3)), what less intrusive means were
# considered when more than necessary may be obtained (s.44A(7)-(8)), and how
# the information will be dealt with (s.44C).
package vir.authz

reason_codes contains "relevance_not_stated" if {
	missing_text(justification, "relevance")
}

finding_text["relevance_not_stated"] := {
	"message": "The request does not say why the information is relevant to the line of enquiry.",
	"reference": "PCSCA 2022 s.44A(3)(b)",
}

reason_codes contains "necessity_not_stated" if {
	missing_text(justification, "necessity")
}

finding_text["necessity_not_stated"] := {
	"message": "The request does not say why it is necessary.",
	"reference": "PCSCA 2022 s.44A(3)(c)",
}

reason_codes contains "proportionality_not_stated" if {
	missing_text(justification, "proportionality")
}

finding_text["proportionality_not_stated"] := {
	"message": "The request does not say why it is proportionate.",
	"reference": "PCSCA 2022 s.44A(3)(c)",
}

reason_codes contains "other_means_not_considered" if {
	flag(justification, "overcollection_risk")
	missing_text(justification, "other_means")
}

finding_text["other_means_not_considered"] := {
	"message": "There is a risk of obtaining more information than necessary, but the request does not say what other means were considered and why they are not available or not reasonably practicable.",
	"reference": "PCSCA 2022 s.44A(7)-(8)",
}

reason_codes contains "handling_not_stated" if {
	missing_text(justification, "handling")
}

finding_text["handling_not_stated"] := {
	"message": "The request does not say how the information will be dealt with once obtained.",
	"reference": "PCSCA 2022 s.44C",
}
