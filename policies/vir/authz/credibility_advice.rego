# Credibility advice.
#
# Advice, never a refusal, when the written grounds argue about the victim's
# credibility or reliability rather than a line of enquiry. The phrases and
# the threshold are in data.vir.config.credibility_advice.
package vir.authz

credibility_settings := s if {
	s := data.vir.config.credibility_advice
	is_object(s)
} else := {}

credibility_minimum_matches := n if {
	n := credibility_settings.minimum_matches
	is_number(n)
	n >= 1
} else := 1

# credibility_phrases maps each usable phrase to its padded form " phrase ".
# Phrases in the data are plain lower-case words separated by single spaces
# (config_test.rego checks this), so they need no normalising per decision.
credibility_phrases := {p: concat("", [" ", p, " "]) |
	some p in object.get(credibility_settings, "phrases", [])
	is_string(p)
	trim_space(p) != ""
} if {
	is_array(object.get(credibility_settings, "phrases", []))
} else := {}

# The free-text grounds that are read for credibility phrases.
credibility_fields := [
	["investigation", "line_of_enquiry"],
	["justification", "relevance"],
	["justification", "necessity"],
	["justification", "proportionality"],
	["justification", "other_means"],
	["justification", "probative_value"],
	["justification", "presumption_rebuttal"],
]

# credibility_grounds is the grounds in one lower-case text.
credibility_grounds := lower(concat(" ", [v |
	some [name, key] in credibility_fields
	v := section(name)[key]
	is_string(v)
]))

# credibility_gate matches, in credibility_grounds, any phrase as whole words
# separated by anything but letters and digits: the same matches as the
# phrase loop below, in one regex search that allocates nothing per word.
# Most grounds contain no phrase, and then nothing more is computed.
# Phrases are plain words (config_test.rego), so they need no escaping.
credibility_gate := concat("", [
	`(?:^|[^a-z0-9])(?:`,
	replace(
		concat("|", [p |
			some p in object.get(credibility_settings, "phrases", [])
			is_string(p)
		]),
		" ", "[^a-z0-9]+",
	),
	`)(?:[^a-z0-9]|$)`,
])

# credibility_words is the grounds for whole-word matching: each run of
# anything but letters and digits as one space, with a space at each end.
credibility_words := concat("", [" ", trim_space(regex.replace(credibility_grounds, `[^a-z0-9]+`, " ")), " "])

credibility_phrases_found contains phrase if {
	regex.match(credibility_gate, credibility_grounds)
	some phrase, padded in credibility_phrases
	contains(credibility_words, padded)
}

advice_codes contains "credibility_rationale" if {
	count(credibility_phrases_found) >= credibility_minimum_matches
}

finding_text["credibility_rationale"] := {
	"message": "The grounds appear to argue about the victim's credibility or reliability. A request must rest on a reasonable line of enquiry, not on testing whether the victim is believed.",
	"reference": "PCSCA 2022 s.44A(3)(b); Victim Information Request Code of Practice",
}

finding_detail["credibility_rationale"] := sprintf("Phrases found: %s.", [concat(", ", sort(credibility_phrases_found))])
