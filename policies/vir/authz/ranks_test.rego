package vir.authz_test

import data.vir.authz

# The readings of a written rank with the fixture settings.
level_of(rank) := l if {
	l := authz.rank_level(rank) with data.vir.config as fixture_config
}

level_on(ladder, rank) := l if {
	l := authz.rank_level_on(fixture_config.rank_ladders[ladder], rank) with data.vir.config as fixture_config
}

code_of(rank) := c if {
	c := authz.rank_reading(rank).code with data.vir.config as fixture_config
}

test_rank_met_and_city_ranks_are_not_territorial if {
	every rank in ["commander", "deputy_assistant_commissioner", "assistant_commissioner", "deputy_commissioner", "commissioner", "Cdr", "DAC", "AC", "DepCom"] {
		not level_of(rank)
	}
	not level_on("city_of_london", "deputy_assistant_commissioner")
	not level_on("metropolitan", "chief_constable")
}

test_rank_detective_prefix_does_not_change_rank if {
	every rank in ["detective_chief_inspector", "Detective Chief Inspector", "Det. Chief Inspector", "det chief inspector", "DET-CHIEF-INSPECTOR"] {
		code_of(rank) == "chief_inspector"
	}
	level_of("Detective Sergeant") == level_of("sergeant")
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
		code_of(written) == code
	}
}

test_rank_dc_is_a_detective_constable_never_a_deputy_commissioner if {
	code_of("DC") == "constable"
	level_on("metropolitan", "DC") == 10
}

test_rank_temporary_counts_and_acting_does_not_by_default if {
	every rank in ["T/DCI", "T/ Chief Inspector", "Temporary Chief Inspector", "temporary_detective_chief_inspector", "Det T/Ch Insp"] {
		level_of(rank) == 40
	}
	every rank in ["A/DCI", "Acting Chief Inspector", "acting_detective_chief_inspector", "A/Supt", "Det. A/Ch Supt"] {
		not level_of(rank)
	}
}

test_rank_acting_counts_when_the_force_says_so if {
	level_of("A/DCI") == 40 with config_overrides as {"ranks": {"acting_rank_counts": true}}
	not level_of("T/DCI") with config_overrides as {"ranks": {"temporary_rank_counts": false}}
	not level_of("T/DCI") with config_overrides as {"ranks": {"temporary_rank_counts": null}}
}

test_rank_unknown_has_no_level if {
	not level_of("detective_")
	not level_of("Detective")
	not level_of("captain")
	not level_of("inspector_chief")
	not level_of("chief_inspector_acting")
	not level_of("")
	not level_of(40)
}

test_rank_ladders_empty_when_data_missing if {
	authz.territorial_ladder == {} with data.vir.config as configured({"rank_ladders": null})
	not level_of("chief_inspector") with config_overrides as {"rank_ladders": null}
}

test_rank_prefixes_and_aliases_ignored_when_data_not_objects if {
	code_of("detective_inspector") == "detective_inspector" with config_overrides as {"ranks": {"prefixes": ["detective"]}}
	code_of("DCI") == "dci" with config_overrides as {"ranks": {"aliases": ["dci"]}}
	code_of("DCI") == "dci" with config_overrides as {"ranks": "ranks"}
}
