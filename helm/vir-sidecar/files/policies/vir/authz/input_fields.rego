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

# config is the force-editable data in vir/config/data.yaml.
config := c if {
	c := data.vir.config
	is_object(c)
} else := {}

# config_list is a list from the config, or [] when it is not a list.
config_list(key) := l if {
	l := config[key]
	is_array(l)
} else := []
