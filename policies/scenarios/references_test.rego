# Every finding cites its source so that a lawyer can follow it: a provision
# of PCSCA 2022 by section and subsection, the Code of Practice or the
# Counselling Services Regulations 2025 by name, the Home Office announcement
# (saying that it is not the statute), or a force setting.
package scenarios_test

citation_forms := [
	"PCSCA 2022 s.44",
	"PCSCA 2022 ss.44",
	"Victim Information Request Code of Practice",
	"Counselling Services Regulations 2025",
	"Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute",
	"force setting ",
	"vir-sidecar force configuration: ",
]

# reference_parts gives each code's reference split into its citations.
reference_parts[code] := split(text.reference, "; ") if {
	some code, text in data.vir.authz.finding_text
}

uncited := {code: part |
	some code, parts in reference_parts
	some part in parts
	not cited(part)
}

cited(part) if {
	some form in citation_forms
	startswith(part, form)
}

test_every_reference_is_a_citation_a_lawyer_can_follow if {
	count(uncited) == 0
} else := false if {
	print("references that cite no known provision:", uncited)
}

# A section alone is too coarse where the rule rests on one subsection; the
# exceptions are s.44C, whose subsections are not cited, and ss.44E-44F,
# which list the authorised persons.
test_statute_references_name_the_subsection if {
	every parts in reference_parts {
		every part in parts {
			statute_part_is_precise(part)
		}
	}
}

statute_part_is_precise(part) if not startswith(part, "PCSCA 2022 s.44")

statute_part_is_precise(part) if contains(part, "(")

statute_part_is_precise(part) if part == "PCSCA 2022 s.44C"

test_clearance_codes_say_they_rest_on_the_announcement_not_the_statute if {
	every code, parts in reference_parts {
		clearance_code_cites_the_announcement(code, parts)
	}
}

clearance_code_cites_the_announcement(code, _) if not startswith(code, "clearance_")

clearance_code_cites_the_announcement(_, parts) if {
	startswith(parts[0], "Home Office announcement of 12 January 2026")
	contains(parts[0], "not the statute")
}
