# What is requested and for which investigation.
#
# The request must name the holder it is sent to (PCSCA 2022 s.44A(3)(a)),
# say what information is sought (s.44C), be limited in scope, and name the
# investigation and the reasonable line of enquiry (s.44A(3)(b)).
package vir.authz

reason_codes contains "holder_not_specified" if {
	missing_text(record, "holder")
}

finding_text["holder_not_specified"] := {
	"message": "The request does not name the person or organisation it is sent to, so there is no record of why they are believed to hold the information, nor of whether they provide counselling services.",
	"reference": "PCSCA 2022 s.44A(3)(a), (5)",
}

reason_codes contains "information_not_specified" if {
	missing_text(record, "information_sought")
}

finding_text["information_not_specified"] := {
	"message": "The request does not say what information is sought.",
	"reference": "PCSCA 2022 s.44C",
}

reason_codes contains "whole_file_requested" if {
	flag(record, "whole_file")
}

finding_text["whole_file_requested"] := {
	"message": "The request asks for the whole file. Ask only for the information relevant to the line of enquiry.",
	"reference": "PCSCA 2022 s.44A(3)(c); Victim Information Request Code of Practice",
}

reason_codes contains "period_not_bounded" if {
	missing_timestamp(record, "period_start")
}

reason_codes contains "period_not_bounded" if {
	missing_timestamp(record, "period_end")
}

reason_codes contains "period_not_bounded" if {
	timestamp_ns(record, "period_start") > timestamp_ns(record, "period_end")
}

finding_text["period_not_bounded"] := {
	"message": "The request must give both the start and the end of the period the information covers, with the start no later than the end.",
	"reference": "PCSCA 2022 s.44A(3)(c); Victim Information Request Code of Practice",
}

reason_codes contains "crime_reference_missing" if {
	missing_text(investigation, "crime_reference")
}

finding_text["crime_reference_missing"] := {
	"message": "The request does not give the crime reference of the investigation it is made for.",
	"reference": "PCSCA 2022 s.44A(3)(b)",
}

reason_codes contains "line_of_enquiry_missing" if {
	not stated(investigation, "line_of_enquiry")
}

finding_text["line_of_enquiry_missing"] := {
	"message": "The request does not state the reasonable line of enquiry the information is relevant to.",
	"reference": "PCSCA 2022 s.44A(3)(b)",
}
