# Reading the input.
#
# Safe access to input.request and input.context. A field that is absent,
# null, of the wrong type, empty or only whitespace reads as missing, so the
# rules never fail on malformed input.
package vir.authz

request := r if {
	r := input.request
	is_object(r)
} else := {}

context := c if {
	c := input.context
	is_object(c)
} else := {}

requester := section("requester")

record := section("record")

investigation := section("investigation")

justification := section("justification")

clearance := section("clearance")

victim_notice := section("victim_notice")

section(name) := s if {
	s := request[name]
	is_object(s)
} else := {}

# text is the field's value without surrounding whitespace, or "" when the
# field is absent or not a string.
text(obj, key) := trim_space(v) if {
	v := obj[key]
	is_string(v)
} else := ""

missing_text(obj, key) if text(obj, key) == ""

# flag is true only for a boolean true.
flag(obj, key) if obj[key] == true

# timestamp_ns is an RFC 3339 field in nanoseconds since the epoch; undefined
# when the field is absent or not a valid timestamp.
timestamp_ns(obj, key) := time.parse_rfc3339_ns(obj[key]) if is_string(obj[key])

missing_timestamp(obj, key) if not timestamp_ns(obj, key)

# now_ns is the decision time given by the sidecar in input.context.time, or
# the evaluation time when that is missing.
now_ns := ns if {
	ns := timestamp_ns(context, "time")
} else := time.now_ns()

# normalised_code puts a code such as a body or rank in one form: lower case,
# with spaces and hyphens as underscores.
normalised_code(value) := regex.replace(lower(trim_space(value)), `[\s-]+`, "_")

# The force-editable data in vir/config/data.yaml is data.vir.config. Rules
# read each setting by its own path and never the whole document, so a
# decision costs the same however large the organisation and provider tables
# grow.

# config_list is a list from the config, or [] when it is not a list.
config_list(key) := l if {
	l := data.vir.config[key]
	is_array(l)
} else := []

# normalised_key puts a name or identifier in the form used as a key in the
# config's lookup tables: lower case, letters and digits only
# ("West Yorkshire Police" and "west_yorkshire_police" both read as
# westyorkshirepolice).
normalised_key(value) := regex.replace(lower(value), `[^a-z0-9]+`, "")

# padded_words is a text for whole-word matching: lower case, each run of
# anything but letters and digits as one space, with a space at each end.
padded_words(value) := concat("", [" ", trim_space(regex.replace(lower(value), `[^a-z0-9]+`, " ")), " "])

# config_number is a number from the config, or the default when it is not a
# number.
config_number(key, default_value) := n if {
	n := data.vir.config[key]
	is_number(n)
} else := default_value

# stated: the field holds a statement that says something: at least
# minimum_statement_chars characters other than spaces, at least one letter
# or digit, and not a placeholder such as "n/a" or "see above". The length is
# checked by one regex match, which allocates nothing per character; the
# placeholder table is keyed by normalised_key, so one lookup replaces a pass
# over the table.
stated(obj, key) if {
	# text trims spaces RE2's \s does not match, such as U+00A0: they never count.
	t := text(obj, key)
	regex.match(statement_length_pattern, t)
	k := normalised_key(t)
	k != ""
	not data.vir.config.placeholder_statements[k]
}

# statement_length_pattern matches a text with at least
# minimum_statement_chars characters that `\s` does not match (RE2 allows
# at most 1000 repetitions: config_test.rego keeps the setting below that).
statement_length_pattern := concat("", [`(?:\S\s*){`, format_int(ceil(minimum_statement_chars), 10), "}"])

minimum_statement_chars := config_number("minimum_statement_chars", 25)

nanoseconds_per_day := 86400000000000
