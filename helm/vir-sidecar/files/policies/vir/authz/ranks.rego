# Police ranks.
#
# Compares rank codes using data.vir.config.ranks. A prefix listed in
# ranks.ignored_prefixes (such as detective_) does not change the rank.
package vir.authz

rank_levels := l if {
	l := config.ranks.levels
	is_object(l)
} else := {}

ignored_rank_prefixes := [p | some p in config_list_at(["ranks", "ignored_prefixes"]); is_string(p); p != ""]

config_list_at(path) := l if {
	l := object.get(config, path, [])
	is_array(l)
} else := []

# rank_code is the rank without an ignored prefix: the first listed prefix
# that matches is removed.
rank_code(rank) := trim_prefix(c, matching[0]) if {
	c := normalised_code(rank)
	matching := [p | some p in ignored_rank_prefixes; startswith(c, p)]
	count(matching) > 0
} else := normalised_code(rank)

# rank_level is the level of a rank code; undefined for an unknown rank.
rank_level(rank) := level if {
	is_string(rank)
	level := rank_levels[rank_code(rank)]
	is_number(level)
}
