# Police ranks.
#
# Reads written ranks with data.vir.config.ranks and places them on the rank
# ladders of data.vir.config.rank_ladders. A rank is lower-cased, each run of
# characters other than letters and digits becomes an underscore, leading
# prefix words are removed (detective, temporary, acting and their short
# forms), and the rest is looked up in the alias table.
package vir.authz

territorial_ladder := l if {
	l := data.vir.config.rank_ladders.territorial
	is_object(l)
} else := {}

rank_settings := s if {
	s := data.vir.config.ranks
	is_object(s)
} else := {}

rank_prefixes := p if {
	p := rank_settings.prefixes
	is_object(p)
} else := {}

rank_aliases := a if {
	a := rank_settings.aliases
	is_object(a)
} else := {}

# rank_reading is a written rank as {"code": rank code, "prefixes": the kinds
# of prefix removed}; undefined when nothing is left once prefixes are removed.
rank_reading(rank) := {"code": object.get(rank_aliases, rest, rest), "prefixes": kinds} if {
	words := split(trim(regex.replace(lower(rank), `[^a-z0-9]+`, "_"), "_"), "_")
	start := min({i | some i, w in words; not rank_prefixes[w]})
	rest := concat("_", array.slice(words, start, count(words)))
	kinds := {rank_prefixes[w] | some w in array.slice(words, 0, start)}
}

# rank_prefix_disqualifies: the rank is acting or temporary and the config
# does not count such ranks. A missing setting does not count them.
rank_prefix_disqualifies(kinds) if {
	"acting" in kinds
	not rank_settings.acting_rank_counts == true
}

rank_prefix_disqualifies(kinds) if {
	"temporary" in kinds
	not rank_settings.temporary_rank_counts == true
}

# rank_level_on is the level of a written rank on a ladder; undefined for a
# rank that is not on the ladder or an acting or temporary rank that does
# not count.
rank_level_on(ladder, rank) := reading_level_on(ladder, rank_reading(rank)) if is_string(rank)

# reading_level_on is the level of a rank reading on a ladder.
reading_level_on(ladder, reading) := level if {
	not rank_prefix_disqualifies(reading.prefixes)
	level := ladder[reading.code]
	is_number(level)
}

# rank_level is the level of a rank on the territorial ladder, the scale the
# minimum ranks in the config are given on.
rank_level(rank) := rank_level_on(territorial_ladder, rank)
