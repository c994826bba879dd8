# Calling system.
#
# An optional allow-list of calling systems (data.vir.config.allowed_callers).
# An empty or absent list means any caller may ask.
package vir.authz

allowed_callers := {c | some c in config_list("allowed_callers"); is_string(c)}

caller := c if {
	c := context.caller
	is_string(c)
} else := ""

reason_codes contains "caller_not_allowed" if {
	count(allowed_callers) > 0
	not caller in allowed_callers
}

finding_text["caller_not_allowed"] := {
	"message": "The calling system is not on this force's list of systems allowed to make victim information requests.",
	"reference": "vir-sidecar force configuration: allowed_callers",
}
