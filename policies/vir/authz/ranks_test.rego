package vir.authz_test

import data.vir.authz
import data.vir.config

test_rank_order_of_territorial_forces if {
	ranks := [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "assistant_chief_constable", "deputy_chief_constable",
		"chief_constable",
	]
	strictly_increasing(config.rank_ladders.territorial, ranks)
}

test_rank_order_of_metropolitan_police if {
	strictly_increasing(config.rank_ladders.metropolitan, [
		"constable", "sergeant", "inspector", "chief_inspector", "superintendent",
		"chief_superintendent", "commander", "deputy_assistant_commissioner",
		"assistant_commissioner", "deputy_commissioner", "commissioner",
	])
}

test_rank_order_of_city_of_london_police if {
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

test_rank_met_and_city_ranks_are_not_territorial if {
	every rank in ["commander", "deputy_assistant_commissioner", "assistant_commissioner", "deputy_commissioner", "commissioner", "Cdr", "DAC", "AC", "DepCom"] {
		not authz.rank_level(rank)
	}
	not authz.rank_level_on(config.rank_ladders.city_of_london, "deputy_assistant_commissioner")
	not authz.rank_level_on(config.rank_ladders.metropolitan, "chief_constable")
}

test_rank_detective_prefix_does_not_change_rank if {
	every rank in ["detective_chief_inspector", "Detective Chief Inspector", "Det. Chief Inspector", "det chief inspector", "DET-CHIEF-INSPECTOR"] {
		authz.rank_code(rank) == "chief_inspector"
	}
	authz.rank_level("Detective Sergeant") == authz.rank_level("sergeant")
}

test_rank_aliases_read_as_their_ranks if {
	expected := {
		"PC": "constable", "DC": "constable", "PS": "sergeant", "DS": "sergeant",
		"Insp": "inspector", "DI": "inspector", "CI": "chief_inspector",
		"Ch Insp": "chief_inspector", "Ch. Insp.": "chief_inspector", "DCI": "chief_inspector",
		"Supt": "superintendent", "DSupt": "superintendent", "Det Supt": "superintendent",
		"Det. Supt.": "superintendent", "Ch Supt": "chief_superintendent",
		"DCS": "chief_superintendent", "Det Ch Supt": "chief_superintendent",
		"ACC": "assistant_chief_constable", "DCC": "deputy_chief_constable",
		"CC": "chief_constable", "Cdr": "commander", "DAC": "deputy_assistant_commissioner",
		"AC": "assistant_commissioner", "DepCom": "deputy_commissioner",
	}
	every written, code in expected {
		authz.rank_code(written) == code
	}
}

test_rank_dc_is_a_detective_constable_never_a_deputy_commissioner if {
	authz.rank_code("DC") == "constable"
	authz.rank_level_on(config.rank_ladders.metropolitan, "DC") == 10
}

test_rank_temporary_counts_and_acting_does_not_by_default if {
	every rank in ["T/DCI", "T/ Chief Inspector", "Temporary Chief Inspector", "temporary_detective_chief_inspector", "Det T/Ch Insp"] {
		authz.rank_level(rank) == 40
	}
	every rank in ["A/DCI", "Acting Chief Inspector", "acting_detective_chief_inspector", "A/Supt", "Det. A/Ch Supt"] {
		not authz.rank_level(rank)
	}
}

test_rank_acting_counts_when_the_force_says_so if {
	authz.rank_level("A/DCI") == 40 with data.vir.config.ranks.acting_rank_counts as true
	not authz.rank_level("T/DCI") with data.vir.config.ranks.temporary_rank_counts as false
	not authz.rank_level("T/DCI") with data.vir.config.ranks.temporary_rank_counts as null
}

test_rank_unknown_has_no_level if {
	not authz.rank_level("detective_")
	not authz.rank_level("Detective")
	not authz.rank_level("captain")
	not authz.rank_level("inspector_chief")
	not authz.rank_level("chief_inspector_acting")
	not authz.rank_level("")
	not authz.rank_level(40)
}

test_rank_ladders_empty_when_data_missing if {
	authz.territorial_ladder == {} with data.vir.config.rank_ladders as null
	not authz.rank_level("chief_inspector") with data.vir.config.rank_ladders as null
}

test_rank_prefixes_and_aliases_ignored_when_data_not_objects if {
	authz.rank_code("detective_inspector") == "detective_inspector" with data.vir.config.ranks.prefixes as ["detective"]
	authz.rank_code("DCI") == "dci" with data.vir.config.ranks.aliases as ["dci"]
	authz.rank_code("DCI") == "dci" with data.vir.config.ranks as "ranks"
}
