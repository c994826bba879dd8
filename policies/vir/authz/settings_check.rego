# Checks of a force's settings (data.vir.config) before they are served.
#
# settings_problems holds one message per bad entry, naming it, such as
# organisation_aliases["gmp"] names unknown organisation "greater_manchster".
# The sidecar asks for it once for each new set of settings, before any
# decision is made with them, and refuses settings with a problem: a start
# fails and a reload keeps the settings already served. Decisions never
# evaluate these rules.
package vir.authz

# The settings a force may give, and the kind of value each takes.
settings_kinds := {
	"authorised_bodies": "list",
	"organisations": "mapping",
	"organisation_aliases": "mapping",
	"allowed_callers": "list",
	"categories": "mapping",
	"rank_ladders": "mapping",
	"ranks": "mapping",
	"maximum_clearance_days": "number",
	"counselling_providers": "mapping",
	"counselling_provider_terms": "list",
	"minimum_statement_chars": "number",
	"placeholder_statements": "mapping",
	"broad_period_days": "number",
	"broad_request_terms": "list",
	"notice_clock_skew_seconds": "number",
	"credibility_advice": "mapping",
}

settings_record_categories := {
	"RECORD_CATEGORY_COUNSELLING",
	"RECORD_CATEGORY_MEDICAL",
	"RECORD_CATEGORY_EDUCATION",
	"RECORD_CATEGORY_SOCIAL_SERVICES",
	"RECORD_CATEGORY_OTHER",
}

# Names that must never reach an organisation: these bodies are not
# authorised persons under ss.44E-44F.
settings_bodies_outside_the_act := [
	"Police Scotland", "Police Service of Northern Ireland", "PSNI",
	"Crown Prosecution Service", "CPS",
]

settings_code_pattern := `^[a-z0-9]+(_[a-z0-9]+)*$`

settings_words_pattern := `^[a-z0-9]+( [a-z0-9]+)*$`

has_kind(value, "list") if is_array(value)

has_kind(value, "mapping") if is_object(value)

has_kind(value, "number") if is_number(value)

has_kind(value, "boolean") if is_boolean(value)

# The tables below are read only when they have the right kind; a table of
# the wrong kind has its own problem.
settings_table(key, kind) := t if {
	t := data.vir.config[key]
	has_kind(t, kind)
}

# --- the document and its keys ------------------------------------------------

settings_problems contains "the settings are not a mapping of setting names to values" if {
	not settings_document_is_mapping
}

settings_document_is_mapping if is_object(data.vir.config)

settings_problems contains sprintf("%s is missing", [key]) if {
	is_object(data.vir.config)
	some key, _ in settings_kinds
	not key in object.keys(data.vir.config)
}

settings_problems contains sprintf("%q is not a known setting", [key]) if {
	settings_document_is_mapping
	some key, _ in data.vir.config
	not settings_kinds[key]
}

settings_problems contains sprintf("%s must be a %s, not %s", [key, kind, json.marshal(value)]) if {
	some key, kind in settings_kinds
	value := data.vir.config[key]
	not has_kind(value, kind)
}

# --- bodies, organisations and callers -------------------------------------------

settings_problems contains "authorised_bodies is empty: no one could make a request" if {
	count(settings_table("authorised_bodies", "list")) == 0
}

settings_problems contains sprintf("authorised_bodies[%d] %s is not a code (lower case, underscores)", [i, json.marshal(body)]) if {
	some i, body in settings_table("authorised_bodies", "list")
	not settings_is_code(body)
}

settings_problems contains sprintf("authorised_bodies[%d] is \"cps\": the Crown Prosecution Service is not an authorised person (s.44E)", [i]) if {
	some i, "cps" in settings_table("authorised_bodies", "list")
}

settings_problems contains sprintf("authorised_bodies[%d] %q is the body of no organisation", [i, body]) if {
	some i, body in settings_table("authorised_bodies", "list")
	is_string(body)
	not settings_body_in_an_organisation(body)
}

settings_body_in_an_organisation(body) if {
	some org in settings_table("organisations", "mapping")
	body in org.bodies
}

settings_is_code(value) if {
	is_string(value)
	normalised_code(value) == value
	regex.match(settings_code_pattern, value)
}

settings_problems contains sprintf("allowed_callers[%d] %s is not a string", [i, json.marshal(c)]) if {
	some i, c in settings_table("allowed_callers", "list")
	not is_string(c)
}

settings_problems contains sprintf("organisations[%q] is not a code (lower case, underscores)", [code]) if {
	some code, _ in settings_table("organisations", "mapping")
	not regex.match(settings_code_pattern, code)
}

settings_problems contains sprintf("organisations[%q] must be a mapping with name, ladder and bodies", [code]) if {
	some code, org in settings_table("organisations", "mapping")
	not settings_organisation_shape(org)
}

settings_organisation_shape(org) if {
	is_object(org)
	object.keys(org) == {"name", "ladder", "bodies"}
}

settings_problems contains sprintf("organisations[%q].name %s is not a string", [code, json.marshal(name)]) if {
	some code, org in settings_table("organisations", "mapping")
	name := object.get(org, "name", null)
	not is_string(name)
}

settings_problems contains sprintf("organisations[%q].ladder %s names no ladder of rank_ladders", [code, json.marshal(ladder)]) if {
	some code, org in settings_table("organisations", "mapping")
	ladder := object.get(org, "ladder", null)
	not settings_is_ladder(ladder)
}

settings_is_ladder(name) if is_object(settings_ladders[name])

settings_problems contains sprintf("organisations[%q].bodies must be a list of at least one body", [code]) if {
	some code, org in settings_table("organisations", "mapping")
	not settings_non_empty_list(object.get(org, "bodies", null))
}

settings_problems contains sprintf("organisations[%q].bodies[%d] %s is not in authorised_bodies", [code, i, json.marshal(body)]) if {
	some code, org in settings_table("organisations", "mapping")
	is_array(org.bodies)
	some i, body in org.bodies
	not body in settings_table("authorised_bodies", "list")
}

settings_non_empty_list(value) if {
	is_array(value)
	count(value) > 0
}

settings_organisations := object.get(data.vir.config, "organisations", {})

settings_problems contains sprintf("organisation_aliases[%q] is not normalised: write it %q", [alias, normalised_key(alias)]) if {
	some alias, _ in settings_table("organisation_aliases", "mapping")
	normalised_key(alias) != alias
}

settings_problems contains sprintf("organisation_aliases[%q] names unknown organisation %s", [alias, json.marshal(code)]) if {
	some alias, code in settings_table("organisation_aliases", "mapping")
	not settings_is_organisation(code)
}

settings_is_organisation(code) if is_object(settings_organisations[code])

settings_problems contains sprintf("organisation_aliases has no key %q for organisation %q (its %s)", [key, code, what]) if {
	aliases := settings_table("organisation_aliases", "mapping")
	some code, org in settings_table("organisations", "mapping")
	some what, written in {"code": code, "name": org.name}
	is_string(written)
	key := normalised_key(written)
	not aliases[key] == code
}

settings_problems contains sprintf("organisation_aliases[%q] makes %q an organisation, which is not an authorised person", [key, name]) if {
	aliases := settings_table("organisation_aliases", "mapping")
	some name in settings_bodies_outside_the_act
	key := normalised_key(name)
	aliases[key]
}

# --- categories and ranks ----------------------------------------------------------

settings_problems contains sprintf("categories[%q] is not a record category", [category]) if {
	some category, _ in settings_table("categories", "mapping")
	not category in settings_record_categories
}

settings_problems contains sprintf("categories[%q] must be a mapping with minimum_clearance_rank only", [category]) if {
	some category, s in settings_table("categories", "mapping")
	not settings_category_shape(s)
}

settings_category_shape(s) if {
	is_object(s)
	object.keys(s) == {"minimum_clearance_rank"}
}

settings_problems contains sprintf("categories[%q].minimum_clearance_rank %s is not a rank of the territorial ladder", [category, json.marshal(rank)]) if {
	some category, s in settings_table("categories", "mapping")
	rank := s.minimum_clearance_rank
	rank != null
	not settings_territorial_rank(rank)
}

# Minimum ranks are rank codes of the territorial ladder, looked up as they are
# in every decision.
settings_territorial_rank(rank) if is_number(territorial_ladder[rank])

settings_problems contains sprintf("categories[\"RECORD_CATEGORY_COUNSELLING\"].minimum_clearance_rank %q is below chief_inspector, the least a counselling request needs", [counselling_minimum_rank]) if {
	territorial_ladder[counselling_minimum_rank] < territorial_ladder.chief_inspector
}

settings_ladders := object.get(data.vir.config, "rank_ladders", {})

settings_problems contains "rank_ladders.territorial must be a mapping of at least one rank" if {
	is_object(settings_table("rank_ladders", "mapping"))
	not settings_territorial_ladder
}

settings_territorial_ladder if {
	is_object(settings_ladders.territorial)
	count(settings_ladders.territorial) > 0
}

settings_problems contains sprintf("rank_ladders[%q] must be a mapping of rank codes to levels", [name]) if {
	some name, ladder in settings_table("rank_ladders", "mapping")
	not is_object(ladder)
}

settings_problems contains sprintf("rank_ladders[%q][%q] is not a rank code (lower case, underscores)", [name, rank]) if {
	some name, ladder in settings_table("rank_ladders", "mapping")
	is_object(ladder)
	some rank, _ in ladder
	not regex.match(settings_code_pattern, rank)
}

settings_problems contains sprintf("rank_ladders[%q][%q] level %s is not a number", [name, rank, json.marshal(level)]) if {
	some name, ladder in settings_table("rank_ladders", "mapping")
	is_object(ladder)
	some rank, level in ladder
	not is_number(level)
}

# The London ladders agree with the territorial ladder on the ranks they
# share, so a minimum rank means the same in every force.
settings_problems contains sprintf("rank_ladders[%q][%q] is %v, but %v on the territorial ladder", [name, rank, level, territorial]) if {
	some name in ["metropolitan", "city_of_london"]
	is_object(settings_ladders[name])
	some rank, level in settings_ladders[name]
	territorial := settings_ladders.territorial[rank]
	territorial != level
}

# The police ranks every force shares (Police Act 1996 s.13 and Police
# Regulations 2003), most junior first. Settings may not reorder them or leave
# them out: the chief inspector floor of counselling requests is read on this
# order.
settings_police_ranks := [
	"constable", "sergeant", "inspector", "chief_inspector",
	"superintendent", "chief_superintendent",
]

settings_police_ladders := {"territorial", "metropolitan", "city_of_london"}

settings_problems contains sprintf("rank_ladders[\"territorial\"] must rank %s below %s", [junior, senior]) if {
	settings_territorial_ladder
	some i, senior in settings_police_ranks
	i > 0
	junior := settings_police_ranks[i - 1]
	not settings_ranked_below(settings_ladders.territorial, junior, senior)
}

settings_ranked_below(ladder, junior, senior) if ladder[junior] < ladder[senior]

# The police rank codes name police ranks only: a ladder of another body that
# used one would let its holder read as that rank.
settings_problems contains sprintf("rank_ladders[%q][%q] is a police rank: give the body's own grades", [name, rank]) if {
	some name, ladder in settings_table("rank_ladders", "mapping")
	not name in settings_police_ladders
	is_object(ladder)
	some rank, _ in ladder
	settings_police_rank_code(rank)
}

settings_police_rank_code(rank) if {
	some name in settings_police_ladders
	is_number(settings_ladders[name][rank])
}

settings_rank_settings := object.get(data.vir.config, "ranks", {})

settings_problems contains sprintf("ranks.%s is missing", [key]) if {
	is_object(settings_table("ranks", "mapping"))
	some key in ["prefixes", "aliases", "temporary_rank_counts", "acting_rank_counts"]
	not key in object.keys(settings_rank_settings)
}

settings_problems contains sprintf("ranks.%s must be a %s, not %s", [key, kind, json.marshal(value)]) if {
	some key, kind in {
		"prefixes": "mapping", "aliases": "mapping",
		"temporary_rank_counts": "boolean", "acting_rank_counts": "boolean",
	}
	value := settings_table("ranks", "mapping")[key]
	not has_kind(value, kind)
}

settings_problems contains sprintf("%q is not a known setting of ranks", [key]) if {
	some key, _ in settings_table("ranks", "mapping")
	not key in {"prefixes", "aliases", "temporary_rank_counts", "acting_rank_counts"}
}

settings_rank_table(key) := t if {
	t := settings_rank_settings[key]
	is_object(t)
}

settings_problems contains sprintf("ranks.prefixes[%q] is not one lower-case word", [word]) if {
	some word, _ in settings_rank_table("prefixes")
	not regex.match(`^[a-z0-9]+$`, word)
}

settings_problems contains sprintf("ranks.prefixes[%q] %s is not detective, temporary or acting", [word, json.marshal(kind)]) if {
	some word, kind in settings_rank_table("prefixes")
	not kind in {"detective", "temporary", "acting"}
}

settings_problems contains sprintf("ranks.aliases[%q] is not written as a read rank (lower case, underscores)", [alias]) if {
	some alias, _ in settings_rank_table("aliases")
	not regex.match(settings_code_pattern, alias)
}

settings_problems contains sprintf("ranks.aliases[%q] names %s, a rank on no ladder", [alias, json.marshal(rank)]) if {
	some alias, rank in settings_rank_table("aliases")
	not settings_rank_on_a_ladder(rank)
}

# An alias is another way of writing a rank, never a rank code itself: an
# alias "constable" naming chief_constable would promote every constable.
settings_problems contains sprintf("ranks.aliases[%q] is itself a rank code: a rank code reads as itself", [alias]) if {
	some alias, _ in settings_rank_table("aliases")
	settings_rank_on_a_ladder(alias)
}

# A prefix word is removed before a rank is read, so it may not be a word of a
# rank code: "assistant" as a prefix would read an assistant chief constable
# as a chief constable.
settings_problems contains sprintf("ranks.prefixes[%q] is a word of the rank code %q", [word, rank]) if {
	some word, _ in settings_rank_table("prefixes")
	some ladder in settings_ladders
	is_object(ladder)
	some rank, _ in ladder
	is_string(rank)
	word in split(rank, "_")
}

settings_rank_on_a_ladder(rank) if {
	some ladder in settings_ladders
	is_number(ladder[rank])
}

# "DC" is a detective constable, never a deputy commissioner: a clashing
# abbreviation must never become a senior rank.
settings_problems contains sprintf("ranks.aliases[\"dc\"] must be \"constable\", not %s", [json.marshal(rank)]) if {
	rank := object.get(settings_rank_table("aliases"), "dc", null)
	rank != "constable"
}

# --- providers, statements and word lists ---------------------------------------

settings_problems contains sprintf("counselling_providers[%q] is not normalised: write it %q", [key, normalised_key(key)]) if {
	some key, _ in settings_table("counselling_providers", "mapping")
	normalised_key(key) != key
}

settings_problems contains "counselling_providers has an empty key" if {
	settings_table("counselling_providers", "mapping")[""]
}

settings_problems contains sprintf("counselling_providers[%q] %s is not a name", [key, json.marshal(name)]) if {
	some key, name in settings_table("counselling_providers", "mapping")
	not is_string(name)
}

settings_problems contains sprintf("%s is empty", [key]) if {
	some key in ["counselling_provider_terms", "broad_request_terms"]
	count(settings_table(key, "list")) == 0
}

settings_problems contains sprintf("%s[%d] %s is not lower-case words separated by single spaces", [key, i, json.marshal(term)]) if {
	some key in ["counselling_provider_terms", "broad_request_terms"]
	some i, term in settings_table(key, "list")
	not settings_words(term)
}

settings_words(value) if {
	is_string(value)
	regex.match(settings_words_pattern, value)
}

settings_problems contains sprintf("%s is %v: it must be greater than 0", [key, value]) if {
	some key in ["minimum_statement_chars", "broad_period_days", "maximum_clearance_days", "notice_clock_skew_seconds"]
	value := settings_table(key, "number")
	value <= 0
}

# stated (input_fields.rego) counts the characters with a regex repeated this
# many times, and RE2 repeats at most 1000 times.
settings_problems contains sprintf("minimum_statement_chars is %v: it must be at most 1000", [value]) if {
	value := settings_table("minimum_statement_chars", "number")
	value > 1000
}

settings_problems contains "placeholder_statements is empty" if {
	count(settings_table("placeholder_statements", "mapping")) == 0
}

settings_problems contains sprintf("placeholder_statements[%q] is not lower-case letters and digits", [key]) if {
	some key, _ in settings_table("placeholder_statements", "mapping")
	not regex.match(`^[a-z0-9]+$`, key)
}

settings_problems contains sprintf("placeholder_statements[%q] %s does not read as its key", [key, json.marshal(written)]) if {
	some key, written in settings_table("placeholder_statements", "mapping")
	not settings_reads_as(written, key)
}

settings_reads_as(written, key) if {
	is_string(written)
	normalised_key(written) == key
}

settings_advice := object.get(data.vir.config, "credibility_advice", {})

settings_problems contains sprintf("credibility_advice.minimum_matches %s must be a number of at least 1", [json.marshal(n)]) if {
	is_object(settings_table("credibility_advice", "mapping"))
	n := object.get(settings_advice, "minimum_matches", null)
	not settings_at_least_one(n)
}

settings_at_least_one(n) if {
	is_number(n)
	n >= 1
}

settings_problems contains "credibility_advice.phrases must be a list of at least one phrase" if {
	is_object(settings_table("credibility_advice", "mapping"))
	not settings_non_empty_list(object.get(settings_advice, "phrases", null))
}

settings_problems contains sprintf("credibility_advice.phrases[%d] %s is not lower-case words separated by single spaces", [i, json.marshal(phrase)]) if {
	phrases := settings_advice.phrases
	is_array(phrases)
	some i, phrase in phrases
	not settings_words(phrase)
}

settings_problems contains sprintf("%q is not a known setting of credibility_advice", [key]) if {
	some key, _ in settings_table("credibility_advice", "mapping")
	not key in {"minimum_matches", "phrases"}
}
