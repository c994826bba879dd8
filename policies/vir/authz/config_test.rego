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

minimum_rank_known(rank) if authz.rank_level(rank)

test_config_counselling_minimum_at_least_chief_inspector if {
	authz.rank_level(authz.counselling_minimum_rank) >= authz.rank_level("chief_inspector")
}

test_config_rank_levels_are_numbers if {
	count(config.ranks.levels) > 0
	every rank, level in config.ranks.levels {
		authz.normalised_code(rank) == rank
		is_number(level)
	}
}

test_config_credibility_phrases_are_plain_words if {
	count(config.credibility_advice.phrases) > 0
	every phrase in config.credibility_advice.phrases {
		regex.match(`^[a-z0-9]+( [a-z0-9]+)*$`, phrase)
	}
	config.credibility_advice.minimum_matches >= 1
}
