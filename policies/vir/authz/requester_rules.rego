# Who may make a request.
#
# Only authorised persons under PCSCA 2022 s.44E and s.44F may make a victim
# information request. requester.body must be one of
# data.vir.config.authorised_bodies, and requester.force must name an
# organisation in data.vir.config.organisations that accepts that body. The
# body codes in the data are already normalised (config_test.rego), so they
# are compared as they are. For a
# contractor, requester.force names the organisation that engaged them.
package vir.authz

requester_body := normalised_code(text(requester, "body"))

# requester_organisation_code is the code of the organisation requester.force
# names; undefined when it names none. One lookup in the precomputed aliases.
requester_organisation_code := c if {
	c := data.vir.config.organisation_aliases[normalised_key(text(requester, "force"))]
	is_string(c)
}

requester_organisation := o if {
	o := data.vir.config.organisations[requester_organisation_code]
	is_object(o)
}

requester_authorised if {
	requester_body in config_list("authorised_bodies")
	requester_body in requester_organisation.bodies
}

reason_codes contains "requester_not_authorised" if {
	not requester_authorised
}

finding_text["requester_not_authorised"] := {
	"message": "The requester is not an authorised person: requester.body and requester.force must name a police force in England and Wales or another body listed in ss.44E-44F, and for a contractor the authorised organisation that engaged them. Police Scotland, the Police Service of Northern Ireland and the Crown Prosecution Service are not authorised; the CPS must ask through the police.",
	"reference": "PCSCA 2022 ss.44E-44F",
}
