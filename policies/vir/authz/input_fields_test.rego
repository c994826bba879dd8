package vir.authz_test

import data.vir.authz

test_text_trims_whitespace if {
	authz.text({"a": "  CR-1 \n"}, "a") == "CR-1"
}

test_text_is_empty_when_absent_or_not_a_string if {
	authz.text({}, "a") == ""
	authz.text({"a": null}, "a") == ""
	authz.text({"a": 3}, "a") == ""
}

test_missing_text_when_empty_or_whitespace if {
	authz.missing_text({"a": ""}, "a")
	authz.missing_text({"a": " \t\n"}, "a")
	authz.missing_text({}, "a")
	not authz.missing_text({"a": "x"}, "a")
}

test_flag_only_for_boolean_true if {
	authz.flag({"a": true}, "a")
	not authz.flag({"a": false}, "a")
	not authz.flag({"a": "true"}, "a")
	not authz.flag({}, "a")
}

test_timestamp_reads_rfc3339_with_offset_and_fraction if {
	authz.timestamp_ns({"t": "2026-01-12T10:00:00.5+01:00"}, "t") == time.parse_rfc3339_ns("2026-01-12T09:00:00.5Z")
}

test_missing_timestamp_when_absent_or_invalid if {
	authz.missing_timestamp({}, "t")
	authz.missing_timestamp({"t": ""}, "t")
	authz.missing_timestamp({"t": "12 January 2026"}, "t")
	authz.missing_timestamp({"t": 1767000000}, "t")
	not authz.missing_timestamp({"t": "2026-01-12T09:00:00Z"}, "t")
}

test_now_is_context_time if {
	n := authz.now_ns with input as {"context": {"time": "2026-06-01T00:00:00Z"}}
	n == time.parse_rfc3339_ns("2026-06-01T00:00:00Z")
}

test_now_is_clock_time_without_context_time if {
	n := authz.now_ns with input as {} with time.now_ns as 42
	n == 42
}

test_normalised_code_lowers_case_and_joins_words if {
	authz.normalised_code(" Detective Chief-Inspector ") == "detective_chief_inspector"
}

test_config_settings_take_defaults_when_data_is_missing if {
	authz.config_list("authorised_bodies") == [] with data.vir.config as "not an object"
	authz.config_number("minimum_statement_chars", 25) == 25 with data.vir.config as "not an object"
	d := data.vir.authz.decision with input as input_for(medical_request) with data.vir.config as "not an object"
	d.allow == false
}

test_config_number_and_object_take_defaults_when_of_the_wrong_type if {
	authz.config_number("minimum_statement_chars", 25) == 25 with data.vir.config as configured({"minimum_statement_chars": "many"})
}

test_normalised_key_keeps_letters_and_digits_only if {
	authz.normalised_key(" West-Yorkshire Police (WYP) ") == "westyorkshirepolicewyp"
	authz.normalised_key("PC 4821") == authz.normalised_key("pc-4821")
}

test_stated_needs_substance if {
	authz.stated({"s": "abcde fghij klmno pqrst uvwxy"}, "s") with data.vir.config as fixture_config
	not authz.stated({"s": "abcde fghij klmno pqrst uvwx"}, "s") with data.vir.config as fixture_config
	not authz.stated({"s": 42}, "s") with data.vir.config as fixture_config
	not authz.stated({}, "s") with data.vir.config as fixture_config
}

# Spaces around a statement never count, Unicode ones included; between words
# only the spaces RE2's \s matches are left out of the count.
test_stated_counts_no_surrounding_spaces if {
	not authz.stated({"s": "abcde fghij klmno pqrst uvwx\u00a0"}, "s") with data.vir.config as fixture_config
	not authz.stated({"s": "\u3000\u00a0abcde fghij klmno pqrst uvwx"}, "s") with data.vir.config as fixture_config
	not authz.stated({"s": "\tabcde fghij klmno pqrst uvwx \n"}, "s") with data.vir.config as fixture_config
	authz.stated({"s": "abcde\u00a0fghij klmno pqrst uvwx"}, "s") with data.vir.config as fixture_config
	authz.stated({"s": "\u00a0abcde fghij klmno pqrst uvwxy\u00a0"}, "s") with data.vir.config as fixture_config
}

test_config_list_is_empty_when_not_a_list if {
	authz.config_list("authorised_bodies") == [] with data.vir.config as configured({"authorised_bodies": "police"})
}
