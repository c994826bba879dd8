# Who may make a request.
#
# Only authorised persons under PCSCA 2022 s.44E and s.44F may make a victim
# information request. The bodies are listed in
# data.vir.config.authorised_bodies.
package vir.authz

authorised_bodies := {normalised_code(b) | some b in config_list("authorised_bodies"); is_string(b)}

reason_codes contains "requester_not_authorised" if {
	not normalised_code(text(requester, "body")) in authorised_bodies
}

finding_text["requester_not_authorised"] := {
	"message": "The requester's body is not an authorised person for victim information requests. The Crown Prosecution Service must ask through the police.",
	"reference": "PCSCA 2022 ss.44E-44F",
}
