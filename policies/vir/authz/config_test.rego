# Checks that the force-editable tables in vir/config/data.yaml are well formed.
package vir.authz_test

import data.vir.authz
import data.vir.config

record_categories := {
	"RECORD_CATEGORY_COUNSELLING",
	"RECORD_CATEGORY_MEDICAL",
	"RECORD_CATEGORY_EDUCATION",
	"RECORD_CATEGORY_SOCIAL_SERVICES",
	"RECORD_CATEGORY_OTHER",
}

test_config_authorised_bodies_are_codes_and_exclude_cps if {
	count(config.authorised_bodies) > 0
	every body in config.authorised_bodies {
		authz.normalised_code(body) == body
	}
	not "cps" in config.authorised_bodies
}

test_config_allowed_callers_is_a_list_of_strings if {
	is_array(config.allowed_callers)
	every c in config.allowed_callers {
		is_string(c)
	}
}

test_config_categories_are_record_categories if {
	every category, settings in config.categories {
		category in record_categories
		object.keys(settings) == {"minimum_clearance_rank"}
	}
}

test_config_minimum_ranks_are_known_ranks if {
	every settings in config.categories {
		minimum_rank_known(settings.minimum_clearance_rank)
	}
}

minimum_rank_known(rank) if rank == null

# Minimum ranks are rank codes on the territorial ladder: the policy looks them
# up as they are.
minimum_rank_known(rank) if is_number(config.rank_ladders.territorial[rank])

test_config_counselling_minimum_at_least_chief_inspector if {
	authz.rank_level(authz.counselling_minimum_rank) >= authz.rank_level("chief_inspector")
}

test_config_rank_ladders_are_rank_codes_with_numbers if {
	count(config.rank_ladders.territorial) > 0
	every ladder in config.rank_ladders {
		every rank, level in ladder {
			regex.match(`^[a-z0-9]+(_[a-z0-9]+)*$`, rank)
			is_number(level)
		}
	}
}

# The shipped ladders list the ranks in order of seniority.
test_config_rank_order_of_territorial_forces if {
	ranks := [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "assistant_chief_constable", "deputy_chief_constable",
		"chief_constable",
	]
	strictly_increasing(config.rank_ladders.territorial, ranks)
}

test_config_rank_order_of_metropolitan_police if {
	strictly_increasing(config.rank_ladders.metropolitan, [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "commander", "deputy_assistant_commissioner",
		"assistant_commissioner", "deputy_commissioner", "commissioner",
	])
}

test_config_rank_order_of_city_of_london_police if {
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

# The London ladders agree with the territorial ladder on the ranks they share,
# so a minimum rank means the same in every force.
test_config_london_ladders_agree_with_territorial_ladder if {
	every name in ["metropolitan", "city_of_london"] {
		every rank, level in config.rank_ladders[name] {
			object.get(config.rank_ladders.territorial, rank, level) == level
		}
	}
}

# No source says which grades of bodies other than police forces may clear:
# the shipped ladders for them are empty until a force settles the point.
test_config_non_police_ladders_empty_by_default if {
	every name in [
		"national_crime_agency", "iopc", "royal_navy_police", "royal_military_police",
		"royal_air_force_police", "service_police_complaints_commissioner",
	] {
		config.rank_ladders[name] == {}
	}
}

test_config_rank_aliases_are_read_forms_of_ladder_ranks if {
	every alias, rank in config.ranks.aliases {
		regex.match(`^[a-z0-9]+(_[a-z0-9]+)*$`, alias)
		some ladder in config.rank_ladders
		is_number(ladder[rank])
	}
	config.ranks.aliases.dc == "constable"
}

test_config_rank_prefixes_are_words_of_known_kinds if {
	every word, kind in config.ranks.prefixes {
		regex.match(`^[a-z0-9]+$`, word)
		kind in {"detective", "temporary", "acting"}
	}
	is_boolean(config.ranks.acting_rank_counts)
	is_boolean(config.ranks.temporary_rank_counts)
}

test_config_organisations_name_a_ladder_and_authorised_bodies if {
	every code, org in config.organisations {
		regex.match(`^[a-z0-9]+(_[a-z0-9]+)*$`, code)
		is_string(org.name)
		is_object(config.rank_ladders[org.ladder])
		count(org.bodies) > 0
		every body in org.bodies {
			body in config.authorised_bodies
		}
	}
}

test_config_forty_three_territorial_forces_for_police if {
	forces := {code | some code, org in config.organisations; "police" in org.bodies}
	count(forces) == 43
	every code in forces {
		"police_staff" in config.organisations[code].bodies
	}
	"city_of_london" in config.organisations.city_of_london.bodies
	config.organisations.metropolitan.ladder == "metropolitan"
	config.organisations.city_of_london.ladder == "city_of_london"
}

# Every territorial force of the shipped table is accepted, for a police
# requester, by its code and by its full name.
test_config_every_territorial_force_accepted_by_code_and_name if {
	forces := {code: org | some code, org in config.organisations; "police" in org.bodies}
	count(forces) == 43
	every code, org in forces {
		every force in [code, org.name] {
			authz.requester_authorised with input as input_for(requester_from("police", force))
		}
	}
}

test_config_every_authorised_body_has_an_organisation if {
	every body in config.authorised_bodies {
		some org in config.organisations
		body in org.bodies
	}
}

# The aliases are precomputed so that a decision needs one lookup: every key
# is already normalised, every value is an organisation, and each
# organisation's code and full name are keys.
test_config_organisation_aliases_are_normalised_and_complete if {
	every alias, code in config.organisation_aliases {
		authz.normalised_key(alias) == alias
		is_object(config.organisations[code])
	}
	every code, org in config.organisations {
		config.organisation_aliases[authz.normalised_key(code)] == code
		config.organisation_aliases[authz.normalised_key(org.name)] == code
	}
}

test_config_organisation_aliases_exclude_bodies_outside_the_act if {
	every name in [
		"Police Scotland", "Police Service of Northern Ireland", "PSNI",
		"Crown Prosecution Service", "CPS", "cps",
	] {
		not config.organisation_aliases[authz.normalised_key(name)]
	}
}

test_config_counselling_providers_are_normalised_keys if {
	every key, name in config.counselling_providers {
		authz.normalised_key(key) == key
		key != ""
		is_string(name)
	}
}

test_config_word_lists_are_plain_words if {
	every list in ["counselling_provider_terms", "broad_request_terms"] {
		count(config[list]) > 0
		every term in config[list] {
			regex.match(`^[a-z0-9]+( [a-z0-9]+)*$`, term)
		}
	}
}

test_config_thresholds_are_positive_numbers if {
	every key in ["minimum_statement_chars", "broad_period_days", "maximum_clearance_days", "notice_clock_skew_seconds"] {
		is_number(config[key])
		config[key] > 0
	}
}

# stated checks the length with a regex repeated this many times; RE2 repeats
# at most 1000 times.
test_config_minimum_statement_chars_fits_a_regex if {
	config.minimum_statement_chars <= 1000
}

test_config_placeholder_statements_are_keyed_as_matched if {
	count(config.placeholder_statements) > 0
	every key, written in config.placeholder_statements {
		regex.match(`^[a-z0-9]+$`, key)
		authz.normalised_key(written) == key
	}
}

test_config_credibility_phrases_are_plain_words if {
	count(config.credibility_advice.phrases) > 0
	every phrase in config.credibility_advice.phrases {
		regex.match(`^[a-z0-9]+( [a-z0-9]+)*$`, phrase)
	}
	config.credibility_advice.minimum_matches >= 1
}
