# The settings checks (settings_check.rego): the shipped defaults in
# vir/config/data.yaml give no problem, and each check names the bad entry of
# a settings document that breaks it, and says nothing of one that just keeps
# it. Then the facts of the shipped defaults that a force's settings may
# change.
package vir.authz_test

import data.vir.authz
import data.vir.config

# The problems of the shipped settings changed by the JSON Patch `patch`.
problems_after(patch) := problems if {
	problems := authz.settings_problems with data.vir.config as json.patch(config, patch)
}

# The problems of the shipped settings with `changes` merged in (mappings key
# by key, anything else replaced).
problems_with(changes) := problems if {
	problems := authz.settings_problems with data.vir.config as object.union(config, changes)
}

# True when no problem starts with `prefix`.
none_starting(problems, prefix) if {
	every problem in problems {
		not startswith(problem, prefix)
	}
}

test_shipped_settings_have_no_problems if {
	count(authz.settings_problems) == 0
}

test_settings_must_be_a_mapping if {
	problems := authz.settings_problems with data.vir.config as ["not", "a", "mapping"]
	problems == {"the settings are not a mapping of setting names to values"}
}

test_every_setting_is_given if {
	"allowed_callers is missing" in problems_after([{"op": "remove", "path": "/allowed_callers"}])
	"ranks.aliases is missing" in problems_after([{"op": "remove", "path": "/ranks/aliases"}])
}

test_unknown_settings_are_named if {
	"\"allowed_caller\" is not a known setting" in problems_with({"allowed_caller": ["x"]})
	"\"acting_ranks_count\" is not a known setting of ranks" in problems_with({"ranks": {"acting_ranks_count": true}})
	"\"threshold\" is not a known setting of credibility_advice" in problems_with({"credibility_advice": {"threshold": 2}})
}

test_each_setting_has_its_kind if {
	"allowed_callers must be a list, not \"records-system\"" in problems_with({"allowed_callers": "records-system"})
	"organisations must be a mapping, not []" in problems_with({"organisations": []})
	"maximum_clearance_days must be a number, not \"90\"" in problems_with({"maximum_clearance_days": "90"})
	"ranks.temporary_rank_counts must be a boolean, not \"yes\"" in problems_with({"ranks": {"temporary_rank_counts": "yes"}})
	"ranks.prefixes must be a mapping, not []" in problems_with({"ranks": {"prefixes": []}})
	count(problems_with({"allowed_callers": ["records-system"], "ranks": {"temporary_rank_counts": false}})) == 0
}

# --- bodies, organisations and callers -------------------------------------------

test_authorised_bodies_are_codes_other_than_cps if {
	"authorised_bodies is empty: no one could make a request" in problems_with({"authorised_bodies": []})
	problems := problems_after([{"op": "add", "path": "/authorised_bodies/-", "value": "Police Staff"}])
	"authorised_bodies[10] \"Police Staff\" is not a code (lower case, underscores)" in problems
	"authorised_bodies[10] 7 is not a code (lower case, underscores)" in problems_after([{"op": "add", "path": "/authorised_bodies/-", "value": 7}])
	cps := problems_after([{"op": "add", "path": "/authorised_bodies/0", "value": "cps"}])
	"authorised_bodies[0] is \"cps\": the Crown Prosecution Service is not an authorised person (s.44E)" in cps
}

test_every_authorised_body_belongs_to_an_organisation if {
	problems := problems_after([{"op": "add", "path": "/authorised_bodies/-", "value": "ports_police"}])
	"authorised_bodies[10] \"ports_police\" is the body of no organisation" in problems
	count(problems_after([
		{"op": "add", "path": "/authorised_bodies/-", "value": "ports_police"},
		{"op": "add", "path": "/organisations/kent/bodies/-", "value": "ports_police"},
	])) == 0
}

test_allowed_callers_are_strings if {
	"allowed_callers[1] 7 is not a string" in problems_with({"allowed_callers": ["records-system", 7]})
	count(problems_with({"allowed_callers": ["records-system", "7"]})) == 0
}

new_organisation := {"name": "Port of Dover Police", "ladder": "territorial", "bodies": ["police", "contractor"]}

test_organisations_are_codes_with_name_ladder_and_bodies if {
	"organisations[\"Port of Dover\"] is not a code (lower case, underscores)" in problems_with({"organisations": {"Port of Dover": new_organisation}})
	"organisations[\"kent\"] must be a mapping with name, ladder and bodies" in problems_with({"organisations": {"kent": {"rank_ladder": "territorial"}}})
	"organisations[\"dover\"] must be a mapping with name, ladder and bodies" in problems_with({"organisations": {"dover": "Port of Dover Police"}})
	"organisations[\"kent\"].name 7 is not a string" in problems_with({"organisations": {"kent": {"name": 7}}})
	"organisations[\"kent\"].ladder \"kentish\" names no ladder of rank_ladders" in problems_with({"organisations": {"kent": {"ladder": "kentish"}}})
	"organisations[\"kent\"].bodies must be a list of at least one body" in problems_with({"organisations": {"kent": {"bodies": []}}})
	"organisations[\"kent\"].bodies[1] \"cps\" is not in authorised_bodies" in problems_with({"organisations": {"kent": {"bodies": ["police", "cps"]}}})
	count(problems_with({
		"organisations": {"kent": {"ladder": "metropolitan", "bodies": ["police"]}, "dover": new_organisation},
		"organisation_aliases": {"dover": "dover", "portofdoverpolice": "dover"},
	})) == 0
}

test_organisation_aliases_are_normalised_and_name_organisations if {
	problems := problems_with({"organisation_aliases": {"gmp": "greater_manchster"}})
	problems == {"organisation_aliases[\"gmp\"] names unknown organisation \"greater_manchster\""}
	"organisation_aliases[\"GMP\"] is not normalised: write it \"gmp\"" in problems_with({"organisation_aliases": {"GMP": "greater_manchester"}})
	count(problems_with({"organisation_aliases": {"gmp": "greater_manchester"}})) == 0
}

test_each_organisation_is_reached_by_its_code_and_name if {
	by_name := problems_after([{"op": "remove", "path": "/organisation_aliases/kentpolice"}])
	by_name == {"organisation_aliases has no key \"kentpolice\" for organisation \"kent\" (its name)"}
	by_code := problems_after([{"op": "replace", "path": "/organisation_aliases/kent", "value": "essex"}])
	by_code == {"organisation_aliases has no key \"kent\" for organisation \"kent\" (its code)"}
}

test_organisation_aliases_exclude_bodies_outside_the_act if {
	problems := problems_with({"organisation_aliases": {"psni": "kent", "crownprosecutionservice": "kent"}})
	"organisation_aliases[\"psni\"] makes \"PSNI\" an organisation, which is not an authorised person" in problems
	"organisation_aliases[\"crownprosecutionservice\"] makes \"Crown Prosecution Service\" an organisation, which is not an authorised person" in problems
	count(problems_with({"organisation_aliases": {"kentpol": "kent"}})) == 0
}

# --- categories and ranks ----------------------------------------------------------

test_categories_are_record_categories_with_a_minimum_rank if {
	"categories[\"RECORD_CATEGORY_HEALTH\"] is not a record category" in problems_with({"categories": {"RECORD_CATEGORY_HEALTH": {"minimum_clearance_rank": null}}})
	"categories[\"RECORD_CATEGORY_MEDICAL\"] must be a mapping with minimum_clearance_rank only" in problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_rank": "inspector"}}})
	"categories[\"RECORD_CATEGORY_MEDICAL\"] must be a mapping with minimum_clearance_rank only" in problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": "inspector"}})
}

test_minimum_ranks_are_territorial_ranks if {
	problems := problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "chief_inspecter"}}})
	problems == {"categories[\"RECORD_CATEGORY_MEDICAL\"].minimum_clearance_rank \"chief_inspecter\" is not a rank of the territorial ladder"}
	"categories[\"RECORD_CATEGORY_MEDICAL\"].minimum_clearance_rank \"commander\" is not a rank of the territorial ladder" in problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "commander"}}})
	count(problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "inspector"}}})) == 0
}

# A minimum rank is a rank code: a written form such as "DCI" or "Chief
# Inspector" is refused, since decisions look the code up as it is.
test_minimum_ranks_are_rank_codes if {
	"categories[\"RECORD_CATEGORY_MEDICAL\"].minimum_clearance_rank \"Chief Inspector\" is not a rank of the territorial ladder" in problems_with({"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "Chief Inspector"}}})
	"categories[\"RECORD_CATEGORY_COUNSELLING\"].minimum_clearance_rank \"dci\" is not a rank of the territorial ladder" in problems_with({"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "dci"}}})
}

# The police ranks keep their order on the territorial ladder, so the chief
# inspector floor cannot be lowered by renumbering: here with every police
# ladder renumbered and the counselling minimum set to constable.
test_police_ranks_keep_their_order if {
	renumbered := problems_with({
		"rank_ladders": {
			"territorial": {"chief_inspector": 5},
			"metropolitan": {"chief_inspector": 5},
			"city_of_london": {"chief_inspector": 5},
		},
		"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "constable"}},
	})
	"rank_ladders[\"territorial\"] must rank inspector below chief_inspector" in renumbered
	"rank_ladders[\"territorial\"] must rank sergeant below inspector" in problems_with({"rank_ladders": {"territorial": {"sergeant": 30}}})
	left_out := problems_after([{"op": "remove", "path": "/rank_ladders/territorial/superintendent"}])
	"rank_ladders[\"territorial\"] must rank chief_inspector below superintendent" in left_out
	count(problems_with({"rank_ladders": {"territorial": {"senior_constable": 15}}})) == 0
}

# An alias may not be a rank code, or it would read that rank as another.
test_rank_aliases_are_not_rank_codes if {
	"ranks.aliases[\"constable\"] is itself a rank code: a rank code reads as itself" in problems_with({"ranks": {"aliases": {"constable": "chief_constable"}}})
	count(problems_with({"ranks": {"aliases": {"const": "constable"}}})) == 0
}

# A prefix word may not be a word of a rank code, or removing it would read
# one rank as another.
test_rank_prefixes_are_not_words_of_rank_codes if {
	"ranks.prefixes[\"assistant\"] is a word of the rank code \"assistant_chief_constable\"" in problems_with({"ranks": {"prefixes": {"assistant": "acting"}}})
	count(problems_with({"ranks": {"prefixes": {"actg": "acting"}}})) == 0
}

# The ladders of other bodies give their own grades, never police rank codes.
test_non_police_ladders_use_their_own_grades if {
	"rank_ladders[\"iopc\"][\"constable\"] is a police rank: give the body's own grades" in problems_with({"rank_ladders": {"iopc": {"constable": 100}}})
	count(problems_with({"rank_ladders": {"iopc": {"grade_2": 40}}})) == 0
}

test_counselling_minimum_is_at_least_chief_inspector if {
	problems := problems_with({"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "inspector"}}})
	problems == {"categories[\"RECORD_CATEGORY_COUNSELLING\"].minimum_clearance_rank \"inspector\" is below chief_inspector, the least a counselling request needs"}
	count(problems_with({"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "chief_inspector"}}})) == 0
	count(problems_with({"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"}}})) == 0
	count(problems_with({"categories": {"RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": null}}})) == 0
}

test_rank_ladders_map_rank_codes_to_levels if {
	"rank_ladders.territorial must be a mapping of at least one rank" in problems_after([{"op": "replace", "path": "/rank_ladders/territorial", "value": {}}])
	"rank_ladders[\"iopc\"] must be a mapping of rank codes to levels" in problems_with({"rank_ladders": {"iopc": ["grade_2"]}})
	"rank_ladders[\"iopc\"][\"Grade 2\"] is not a rank code (lower case, underscores)" in problems_with({"rank_ladders": {"iopc": {"Grade 2": 40}}})
	"rank_ladders[\"iopc\"][\"grade_2\"] level \"40\" is not a number" in problems_with({"rank_ladders": {"iopc": {"grade_2": "40"}}})
	count(problems_with({"rank_ladders": {"iopc": {"grade_2": 40}}})) == 0
}

test_london_ladders_agree_with_the_territorial_ladder if {
	problems := problems_with({"rank_ladders": {"metropolitan": {"superintendent": 55}}})
	problems == {"rank_ladders[\"metropolitan\"][\"superintendent\"] is 55, but 50 on the territorial ladder"}
	count(problems_with({"rank_ladders": {"city_of_london": {"commander": 72}}})) == 0
}

test_rank_prefixes_are_words_of_known_kinds if {
	"ranks.prefixes[\"det sgt\"] is not one lower-case word" in problems_with({"ranks": {"prefixes": {"det sgt": "detective"}}})
	"ranks.prefixes[\"prob\"] \"probationer\" is not detective, temporary or acting" in problems_with({"ranks": {"prefixes": {"prob": "probationer"}}})
	count(problems_with({"ranks": {"prefixes": {"tmp": "temporary"}}})) == 0
}

test_rank_aliases_are_read_forms_of_ladder_ranks if {
	"ranks.aliases[\"Det Insp\"] is not written as a read rank (lower case, underscores)" in problems_with({"ranks": {"aliases": {"Det Insp": "inspector"}}})
	"ranks.aliases[\"gm\"] names \"grand_master\", a rank on no ladder" in problems_with({"ranks": {"aliases": {"gm": "grand_master"}}})
	count(problems_with({"ranks": {"aliases": {"det_insp": "inspector", "dac": "deputy_assistant_commissioner"}}})) == 0
}

test_dc_is_always_a_constable if {
	"ranks.aliases[\"dc\"] must be \"constable\", not \"deputy_commissioner\"" in problems_with({"ranks": {"aliases": {"dc": "deputy_commissioner"}}})
	"ranks.aliases[\"dc\"] must be \"constable\", not null" in problems_after([{"op": "remove", "path": "/ranks/aliases/dc"}])
}

# --- providers, statements and word lists ---------------------------------------

test_counselling_providers_are_keyed_by_normalised_names if {
	"counselling_providers[\"Rape Crisis Leeds\"] is not normalised: write it \"rapecrisisleeds\"" in problems_with({"counselling_providers": {"Rape Crisis Leeds": "Rape Crisis Leeds"}})
	"counselling_providers has an empty key" in problems_with({"counselling_providers": {"": "Nobody"}})
	"counselling_providers[\"rapecrisisleeds\"] true is not a name" in problems_with({"counselling_providers": {"rapecrisisleeds": true}})
	count(problems_with({"counselling_providers": {"rapecrisisleeds": "Rape Crisis Leeds", "1234567": "Charity 1234567"}})) == 0
}

test_word_lists_are_plain_words if {
	"counselling_provider_terms is empty" in problems_with({"counselling_provider_terms": []})
	"broad_request_terms[1] \"Every\" is not lower-case words separated by single spaces" in problems_with({"broad_request_terms": ["all", "Every"]})
	"broad_request_terms[0] 3 is not lower-case words separated by single spaces" in problems_with({"broad_request_terms": [3]})
	"counselling_provider_terms[0] \"trauma  support\" is not lower-case words separated by single spaces" in problems_with({"counselling_provider_terms": ["trauma  support"]})
	count(problems_with({"broad_request_terms": ["all", "every record"], "counselling_provider_terms": ["trauma support"]})) == 0
}

test_thresholds_are_greater_than_zero if {
	"minimum_statement_chars is 0: it must be greater than 0" in problems_with({"minimum_statement_chars": 0})
	"notice_clock_skew_seconds is -1: it must be greater than 0" in problems_with({"notice_clock_skew_seconds": -1})
	count(problems_with({"minimum_statement_chars": 1, "broad_period_days": 1, "maximum_clearance_days": 1, "notice_clock_skew_seconds": 1})) == 0
}

test_minimum_statement_chars_fits_a_regex if {
	"minimum_statement_chars is 1001: it must be at most 1000" in problems_with({"minimum_statement_chars": 1001})
	count(problems_with({"minimum_statement_chars": 1000})) == 0
}

test_placeholder_statements_are_keyed_as_matched if {
	"placeholder_statements is empty" in problems_after([{"op": "replace", "path": "/placeholder_statements", "value": {}}])
	"placeholder_statements[\"n_a\"] is not lower-case letters and digits" in problems_with({"placeholder_statements": {"n_a": "na"}})
	"placeholder_statements[\"tba\"] \"to be confirmed\" does not read as its key" in problems_with({"placeholder_statements": {"tba": "to be confirmed"}})
	"placeholder_statements[\"tba\"] 1 does not read as its key" in problems_with({"placeholder_statements": {"tba": 1}})
	count(problems_with({"placeholder_statements": {"tba": "T.B.A."}})) == 0
}

test_credibility_advice_has_a_threshold_and_plain_phrases if {
	"credibility_advice.minimum_matches 0 must be a number of at least 1" in problems_with({"credibility_advice": {"minimum_matches": 0}})
	"credibility_advice.minimum_matches null must be a number of at least 1" in problems_after([{"op": "remove", "path": "/credibility_advice/minimum_matches"}])
	"credibility_advice.phrases must be a list of at least one phrase" in problems_with({"credibility_advice": {"phrases": []}})
	"credibility_advice.phrases[1] \"Liar!\" is not lower-case words separated by single spaces" in problems_with({"credibility_advice": {"phrases": ["liar", "Liar!"]}})
	count(problems_with({"credibility_advice": {"minimum_matches": 1, "phrases": ["liar"]}})) == 0
}

# --- facts of the shipped defaults ---------------------------------------------------

test_defaults_exclude_cps if {
	not "cps" in config.authorised_bodies
}

test_defaults_forty_three_territorial_forces_for_police if {
	forces := {code | some code, org in config.organisations; "police" in org.bodies}
	count(forces) == 43
	every code in forces {
		"police_staff" in config.organisations[code].bodies
	}
	"city_of_london" in config.organisations.city_of_london.bodies
	config.organisations.metropolitan.ladder == "metropolitan"
	config.organisations.city_of_london.ladder == "city_of_london"
}

# No source says which grades of bodies other than police forces may clear:
# the shipped ladders for them are empty until a force settles the point.
test_defaults_non_police_ladders_empty if {
	every name in [
		"national_crime_agency", "iopc", "royal_navy_police", "royal_military_police",
		"royal_air_force_police", "service_police_complaints_commissioner",
	] {
		config.rank_ladders[name] == {}
	}
}

# The shipped ladders list the ranks in order of seniority.
test_defaults_rank_order_of_territorial_forces if {
	strictly_increasing(config.rank_ladders.territorial, [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "assistant_chief_constable", "deputy_chief_constable",
		"chief_constable",
	])
}

test_defaults_rank_order_of_metropolitan_police if {
	strictly_increasing(config.rank_ladders.metropolitan, [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "commander", "deputy_assistant_commissioner",
		"assistant_commissioner", "deputy_commissioner", "commissioner",
	])
}

test_defaults_rank_order_of_city_of_london_police if {
	strictly_increasing(config.rank_ladders.city_of_london, [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "commander", "assistant_commissioner", "commissioner",
	])
}

strictly_increasing(ladder, ranks) if {
	every i, rank in array.slice(ranks, 1, count(ranks)) {
		authz.rank_level_on(ladder, ranks[i]) < authz.rank_level_on(ladder, rank)
	}
}

# Every territorial force of the shipped table is accepted, for a police
# requester, by its code and by its full name.
test_defaults_every_territorial_force_accepted_by_code_and_name if {
	forces := {code: org | some code, org in config.organisations; "police" in org.bodies}
	count(forces) == 43
	every code, org in forces {
		every force in [code, org.name] {
			authz.requester_authorised with input as input_for(requester_from("police", force))
		}
	}
}
