package vir.authz_test

import data.vir.authz

test_rank_order_of_territorial_forces if {
	ranks := [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "assistant_chief_constable", "deputy_chief_constable",
		"chief_constable",
	]
	strictly_increasing(ranks)
}

test_rank_order_of_metropolitan_police if {
	strictly_increasing([
		"chief_superintendent", "commander", "deputy_assistant_commissioner",
		"assistant_commissioner", "deputy_commissioner", "commissioner",
	])
}

test_rank_order_of_city_of_london_police if {
	strictly_increasing(["chief_superintendent", "commander", "assistant_commissioner", "commissioner"])
}

strictly_increasing(ranks) if {
	every i, rank in array.slice(ranks, 1, count(ranks)) {
		authz.rank_level(ranks[i]) < authz.rank_level(rank)
	}
}

test_rank_detective_prefix_does_not_change_rank if {
	authz.rank_level("detective_chief_inspector") == authz.rank_level("chief_inspector")
	authz.rank_level("Detective Sergeant") == authz.rank_level("sergeant")
}

test_rank_unknown_has_no_level if {
	not authz.rank_level("detective_")
	not authz.rank_level("captain")
	not authz.rank_level(40)
}

test_rank_first_matching_prefix_removed if {
	authz.rank_code("acting_detective_inspector") == "inspector" with data.vir.config.ranks.ignored_prefixes as ["acting_detective_", "acting_"]
}

test_rank_levels_empty_when_data_missing if {
	authz.rank_levels == {} with data.vir.config.ranks as null
}

test_rank_prefixes_ignored_when_data_not_a_list if {
	authz.rank_code("detective_inspector") == "detective_inspector" with data.vir.config.ranks.ignored_prefixes as "detective_"
}
