package vir.authz_test

import data.vir.authz

# signed_input is the input for req with clearance_jwks as the keys, at time t.
signed_input(req, t) := {
	"request": req,
	"context": {"time": t, "caller": null, "request_id": "test", "clearance_keys": clearance_jwks},
}

signed_decision(req) := signed_decision_at(req, now)

signed_decision_at(req, t) := d if {
	d := authz.decision with input as signed_input(req, t)
		with data.vir.config as signed_config
}

# The test tokens below were signed, with keys since discarded, for a
# clearance running from 2026-01-12 to 2099-12-31. signed_request is the
# counselling request with that clearance, and these tests lift the limit on
# a clearance's lifetime, which clearance_rules_test.rego tests.
signed_request := patch(counselling_request, {
	"clearance": {
		"granted_at": "2026-01-12T09:00:00Z",
		"expires_at": "2099-12-31T23:59:59Z",
	},
	"victim_notice": {"given_at": "2026-01-01T10:00:00Z"},
})

unbounded_clearance_days := 36500

# signed_config is the tests' fixture config without a limit on a clearance's lifetime.
signed_config := object.union(fixture_config, {"maximum_clearance_days": unbounded_clearance_days})

# signed_reasons is the set of reason codes for req when clearances must be signed.
signed_reasons(req) := {f.code | some f in signed_decision(req).reasons}

# signed_reasons_at is signed_reasons at the decision time t.
signed_reasons_at(req, t) := {f.code | some f in signed_decision_at(req, t).reasons}

# signed_reasons_with_keys is signed_reasons with the key set keys.
signed_reasons_with_keys(req, keys) := {f.code | some f in d.reasons} if {
	d := authz.decision with input as {
		"request": req,
		"context": {"time": now, "request_id": "test", "clearance_keys": keys},
	}
		with data.vir.config as signed_config
}

# signature_message is the message of the clearance_signature_invalid finding for req.
signature_message(req) := signature_message_at(req, now)

signature_message_at(req, t) := m if {
	some f in signed_decision_at(req, t).reasons
	f.code == "clearance_signature_invalid"
	m := f.message
}

with_token(token) := patch(signed_request, {"clearance": {"token": token}})

with_signed_clearance(token, fields) := patch(signed_request, {"clearance": object.union({"token": token}, fields)})

signature_invalid := {"clearance_signature_invalid"}

# Good tokens.

test_clearance_signature_valid_es256_token_allows if {
	signed_decision(with_token(token_es256)) == {"allow": true, "reasons": [], "advice": [], "obligations": [], "facts": counselling_facts}
}

test_clearance_signature_valid_rs256_token_allows if {
	signed_decision(with_token(token_rs256)) == {"allow": true, "reasons": [], "advice": [], "obligations": [], "facts": counselling_facts}
}

test_clearance_signature_valid_without_kid_for_each_key_type if {
	signed_reasons(with_token(token_es256_no_kid)) == set()
	signed_reasons(with_token(token_rs256_no_kid)) == set()
}

test_clearance_signature_valid_with_kid_not_in_key_set if {
	# A kid that names no key in the set does not select one: every key is tried.
	signed_reasons(with_token(token_es256_unknown_kid)) == set()
}

test_clearance_signature_invalid_when_kid_names_a_key_of_another_type if {
	# A kid that names a key in the set selects that key only.
	signed_reasons(with_token(token_es256_rsa_kid)) == signature_invalid
}

test_clearance_signature_valid_with_single_key_set if {
	signed_reasons_with_keys(with_token(token_es256), ec_only_jwks) == set()
	signed_reasons_with_keys(with_token(token_rs256), ec_only_jwks) == signature_invalid
}

test_clearance_signature_valid_with_surrounding_whitespace if {
	signed_reasons(with_token(concat("", [" ", token_es256, "\n"]))) == set()
}

test_clearance_signature_valid_when_timestamps_have_fractions if {
	req := with_signed_clearance(token_es256, {
		"granted_at": "2026-01-12T09:00:00.750Z",
		"expires_at": "2099-12-31T23:59:59.999999999Z",
	})
	signed_reasons(req) == set()
}

test_clearance_signature_valid_when_timestamps_have_offsets if {
	req := with_signed_clearance(token_es256, {
		"granted_at": "2026-01-12T10:00:00+01:00",
		"expires_at": "2100-01-01T00:59:59+01:00",
	})
	signed_reasons(req) == set()
}

test_clearance_signature_categories_compared_as_sets if {
	req := with_signed_clearance(token_es256_two_categories, {"categories": [
		"RECORD_CATEGORY_COUNSELLING",
		"RECORD_CATEGORY_MEDICAL",
		"RECORD_CATEGORY_COUNSELLING",
	]})
	signed_reasons(req) == set()
}

test_clearance_signature_iss_not_checked_for_category_with_minimum_rank if {
	clearance := object.union(signed_request.clearance, {
		"id": "CLR-2026-0092",
		"authoriser_rank": "inspector",
		"categories": ["RECORD_CATEGORY_MEDICAL"],
		"token": token_es256_medical,
	})
	req := patch(medical_request, {"clearance": clearance})
	r := signed_reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "inspector"}}}
	r == set()
}

# Forged and tampered tokens.

test_clearance_signature_invalid_when_signed_by_another_key if {
	every token in [token_forged_es256, token_forged_rs256, token_forged_es256_no_kid] {
		signed_reasons(with_token(token)) == signature_invalid
	}
}

test_clearance_signature_invalid_when_keys_are_not_the_signers if {
	signed_reasons_with_keys(with_token(token_es256), rogue_jwks) == signature_invalid
	signed_reasons_with_keys(with_token(token_rs256), rogue_jwks) == signature_invalid
}

test_clearance_signature_invalid_when_claims_tampered if {
	parts := split(token_es256, ".")
	[_, claims, _] := io.jwt.decode(token_es256)
	raised := object.union(claims, {"authoriser_rank": "superintendent"})
	tampered := concat(".", [parts[0], base64url.encode_no_pad(json.marshal(raised)), parts[2]])
	req := with_signed_clearance(tampered, {"authoriser_rank": "superintendent"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "not valid at the time of this request.")
}

# Algorithms.

test_clearance_signature_invalid_when_alg_none if {
	signed_reasons(with_token(token_alg_none)) == signature_invalid
	signed_reasons(with_token(trim_suffix(token_alg_none, "."))) == signature_invalid
}

test_clearance_signature_invalid_when_hs256_with_guessed_secret if {
	every token in [token_hs256_secret, token_hs256_jwks, token_hs256_rsa_pem, token_hs256_empty] {
		signed_reasons(with_token(token)) == signature_invalid
	}
}

test_clearance_signature_invalid_when_other_alg_by_trusted_key if {
	# RS512 and PS256 signatures by the trusted RSA key verify, but only
	# ES256 and RS256 are accepted.
	every token in [token_rs512, token_ps256] {
		io.jwt.decode_verify(token, {"cert": clearance_jwks})[0]
		signed_reasons(with_token(token)) == signature_invalid
	}
}

# Time.

test_clearance_signature_invalid_when_expired_at_decision_time if {
	req := with_token(token_es256)
	signed_reasons_at(req, "2099-12-31T23:59:58.5Z") == set()
	signed_reasons_at(req, "2099-12-31T23:59:59Z") == {"clearance_expired", "clearance_signature_invalid"}
	signed_reasons_at(req, "2100-06-01T00:00:00Z") == {"clearance_expired", "clearance_signature_invalid"}
}

test_clearance_signature_invalid_when_token_exp_passed_before_clearance_expiry if {
	# exp is expires_at in whole seconds: a token expires up to a second
	# before the clearance it carries.
	req := with_signed_clearance(token_es256, {"expires_at": "2099-12-31T23:59:59.9Z"})
	signed_reasons_at(req, "2099-12-31T23:59:59.5Z") == signature_invalid
	endswith(signature_message_at(req, "2099-12-31T23:59:59.5Z"), "not valid at the time of this request.")
}

test_clearance_signature_invalid_when_not_yet_valid_at_decision_time if {
	req := with_token(token_es256)
	signed_reasons_at(req, "2026-01-12T09:00:00Z") == set()
	signed_reasons_at(req, "2026-01-12T08:59:59.5Z") == {"clearance_not_yet_valid", "clearance_signature_invalid"}
}

test_clearance_signature_uses_clock_time_without_context_time if {
	doc := {"request": with_token(token_es256), "context": {"clearance_keys": clearance_jwks}}
	ok := authz.decision with input as doc with time.now_ns as time.parse_rfc3339_ns(now)
		with data.vir.config as signed_config
	ok.allow
	late := authz.decision with input as doc with time.now_ns as time.parse_rfc3339_ns("2100-01-01T00:00:00Z")
		with data.vir.config as signed_config
	{f.code | some f in late.reasons} == {"clearance_expired", "clearance_signature_invalid"}
}

# Claims that differ from the clearance.

test_clearance_signature_invalid_when_id_differs if {
	req := with_signed_clearance(token_es256, {"id": "CLR-2026-0092"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "Token claims that differ from the clearance: jti.")
}

test_clearance_signature_invalid_when_authoriser_id_differs if {
	req := with_signed_clearance(token_es256, {"authoriser_id": "CI-1188"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: authoriser_id.")
}

test_clearance_signature_invalid_when_authoriser_rank_differs if {
	req := with_signed_clearance(token_es256, {"authoriser_rank": "superintendent"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: authoriser_rank.")
}

test_clearance_signature_invalid_when_authoriser_rank_differs_only_in_form if {
	# Claims must equal the fields exactly, even where the rules read two
	# forms as the same rank.
	req := with_signed_clearance(token_es256, {"authoriser_rank": "Chief Inspector"})
	signed_reasons(req) == signature_invalid
}

test_clearance_signature_invalid_when_crime_reference_differs if {
	req := patch(with_signed_clearance(token_es256, {"crime_reference": "CR-2025-000001"}), {"investigation": {"crime_reference": "CR-2025-000001"}})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: crime_reference.")
}

test_clearance_signature_invalid_when_victim_id_differs if {
	req := patch(with_signed_clearance(token_es256, {"victim_id": "V-0000"}), {"record": {"victim_id": "V-0000"}})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: victim_id.")
}

test_clearance_signature_invalid_when_categories_differ if {
	req := with_signed_clearance(token_es256, {"categories": ["RECORD_CATEGORY_COUNSELLING", "RECORD_CATEGORY_MEDICAL"]})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: categories.")
	signed_reasons(with_token(token_es256_two_categories)) == signature_invalid
}

test_clearance_signature_invalid_when_categories_not_a_list if {
	req := with_signed_clearance(token_es256, {"categories": "RECORD_CATEGORY_COUNSELLING"})
	signed_reasons(req) == {"clearance_scope_mismatch", "clearance_signature_invalid"}
}

test_clearance_signature_invalid_when_granted_at_differs if {
	req := with_signed_clearance(token_es256, {"granted_at": "2026-01-12T09:00:01Z"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: iat, nbf.")
}

test_clearance_signature_invalid_when_expires_at_differs if {
	req := with_signed_clearance(token_es256, {"expires_at": "2099-12-31T23:59:58Z"})
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: exp.")
}

test_clearance_signature_invalid_when_timestamp_missing if {
	req := without(with_token(token_es256), ["clearance/expires_at"])
	signed_reasons(req) == {"clearance_incomplete", "clearance_signature_invalid"}
	endswith(signature_message(req), "differ from the clearance: exp.")
}

test_clearance_signature_invalid_when_time_claim_is_a_string if {
	req := with_token(token_es256_string_iat)
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: iat.")
}

test_clearance_signature_invalid_when_claims_missing if {
	req := with_token(token_es256_bare)
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "differ from the clearance: authoriser_id, authoriser_rank, categories, crime_reference, iat, victim_id.")
}

test_clearance_signature_invalid_when_token_has_audience if {
	# decode_verify refuses a token with an aud claim when no audience is
	# asked for.
	signed_reasons(with_token(token_es256_aud)) == signature_invalid
}

# Missing and malformed tokens.

test_clearance_signature_invalid_when_token_missing if {
	req := without(signed_request, ["clearance/token"])
	signed_reasons(req) == signature_invalid
	endswith(signature_message(req), "No clearance token was given.")
	every token in ["", "  ", null, 42, ["x"]] {
		signed_reasons(with_token(token)) == signature_invalid
	}
}

test_clearance_signature_invalid_when_token_malformed if {
	parts := split(token_es256, ".")
	every token in [
		"not a token",
		"abc",
		"a.b.c",
		"a.b",
		concat(".", [parts[0], parts[1]]),
		concat(".", [parts[0], parts[1], ""]),
		substring(token_es256, 0, count(token_es256) - 5),
		concat(".", [parts[0], parts[1], parts[2], parts[2]]),
		concat("", [token_es256, "x"]),
	] {
		signed_reasons(with_token(token)) == signature_invalid
	}
	endswith(signature_message(with_token("abc")), "not valid at the time of this request.")
}

# Keys.

test_clearance_signature_not_checked_without_keys if {
	every ctx in [{"time": now, "clearance_keys": null}, {"time": now}] {
		every req in [signed_request, with_token(""), with_token("abc"), with_token(token_forged_es256)] {
			d := authz.decision with input as {"request": req, "context": ctx}
				with data.vir.config as signed_config
			d.allow
		}
	}
}

test_clearance_signature_unsigned_mode_keeps_other_clearance_rules if {
	req := with_signed_clearance("abc", {"authoriser_rank": "inspector"})
	r := reasons(req) with config_overrides as {"maximum_clearance_days": unbounded_clearance_days}
	r == {"clearance_rank_too_low"}
	not authz.clearance_signing with input as input_for(req)
}

test_clearance_signature_invalid_when_keys_unusable if {
	every keys in ["", " ", "{not json", `{"keys":[]}`, json.unmarshal(clearance_jwks), 7, true] {
		signed_reasons_with_keys(with_token(token_es256), keys) == signature_invalid
	}
}

# When the rule applies.

test_clearance_signature_not_checked_for_category_without_minimum_rank if {
	signed_reasons(medical_request) == set()
	signed_reasons(patch(medical_request, {"clearance": {"id": "CLR-1", "token": "abc"}})) == set()
}

test_clearance_signature_checked_for_category_with_minimum_rank if {
	clearance := object.union(signed_request.clearance, {"categories": ["RECORD_CATEGORY_MEDICAL"]})
	req := patch(medical_request, {"clearance": clearance})
	r := signed_reasons(req) with config_overrides as {"categories": {"RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": "inspector"}}}
	r == signature_invalid
}

test_clearance_signature_invalid_not_added_when_clearance_missing if {
	signed_reasons(without(signed_request, ["clearance"])) == {"clearance_missing"}
	signed_reasons(with_signed_clearance(token_forged_es256, {"id": ""})) == {"clearance_missing"}
}

test_clearance_signature_invalid_added_beside_other_clearance_codes if {
	req := with_signed_clearance(token_forged_es256, {"authoriser_rank": "inspector", "victim_id": "V-0000"})
	signed_reasons(req) == {"clearance_rank_too_low", "clearance_scope_mismatch", "clearance_signature_invalid"}
}

test_clearance_signature_valid_token_does_not_excuse_other_rules if {
	req := patch(with_token(token_es256), {"requester": {"id": "CI-1187"}})
	signed_reasons(req) == {"clearance_self_authorised"}
}

test_clearance_signature_finding_has_message_and_reference if {
	some f in signed_decision(with_token("")).reasons
	f.code == "clearance_signature_invalid"
	startswith(f.message, "The clearance could not be confirmed.")
	startswith(f.reference, "Home Office announcement of 12 January 2026")
	not contains(f.reference, "s.44D")
}

test_clearance_signature_decision_defined_for_junk_input if {
	every value in ["text", 7, [], null, {"token": {}}] {
		d := signed_decision(patch(signed_request, {"clearance": value}))
		d.allow == false
	}
}

# Keys and tokens for these tests, made with throwaway keys whose private
# halves were not kept. Unless said otherwise a token's claims are those of
# signed_request.clearance: jti CLR-2026-0091, authoriser_id CI-1187,
# authoriser_rank chief_inspector, crime_reference CR-2025-004417, victim_id
# V-7F3A, categories [RECORD_CATEGORY_COUNSELLING], iat and nbf 1768208400
# (2026-01-12T09:00:00Z), exp 4102444799 (2099-12-31T23:59:59Z).

# The trusted key set: one P-256 key (kid force-ec-2026) and one RSA 2048 key (kid force-rsa-2026).
clearance_jwks := `{"keys":[{"kty":"EC","crv":"P-256","x":"Gtd8rJA8XQSRJFw1x-HTSwZbE64KEjwypWkBh5oWv2I","y":"BdgvWVPANLCgZmcJmkgFsdC7vTzBXChuzVoQNIowuo0","alg":"ES256","use":"sig","kid":"force-ec-2026"},{"kty":"RSA","n":"8d0IkLN3YlDON3XtqUD9eYwyI1PIo6iRmyIYi05hVXfaZVQEVeRwahNn_67ncV8mLYaR04IrrmsGlfhAqbioHvDEFEauJaXlf-zcNyruie6l00yv_IqKabktSckDevjK6qusZrPlL7tk1-0nlMS4e2XgopWBYYRou7QEWtV6hv0X_BKjEVwhUfKBUDXeyWCcnqCPhJboI0I9nVzqNPM5tom0OVqYgTyOhZYwwyr9Z9k1-64YDbcaeQY4V-4DKyn6sloEP5kgNcbCw4-iWKW-yEIhEa0OJuc0DlTDqrub-fICna8PoBQKtVlhPM4Pcmp6qWinhOtsSvX2tP7d0Y7sUw","e":"AQAB","alg":"RS256","use":"sig","kid":"force-rsa-2026"}]}`

# The trusted P-256 key alone.
ec_only_jwks := `{"keys":[{"kty":"EC","crv":"P-256","x":"Gtd8rJA8XQSRJFw1x-HTSwZbE64KEjwypWkBh5oWv2I","y":"BdgvWVPANLCgZmcJmkgFsdC7vTzBXChuzVoQNIowuo0","alg":"ES256","use":"sig","kid":"force-ec-2026"}]}`

# Two other keys with the same kids as the trusted ones.
rogue_jwks := `{"keys":[{"kty":"EC","crv":"P-256","x":"qU1ijNIbX40AkqX8NkfV4YzEOD4he_-XEKL3St334Is","y":"aYRycLLeeMAerd-_WeiNkzbeUNiQ3gl_WSNWRs5Rfug","alg":"ES256","use":"sig","kid":"force-ec-2026"},{"kty":"RSA","n":"hnkLy8SLetpf_hlWmjCbGdMTfYP_8oE7clB5VdtVRU7iZrdxre08sz8Wjg4DiMa6wjvl47lnAhI7R-w5XNQ1u_b1ahPcPCFw-DFVpIYkcfzv2DQYhuA1Fm8kgtqn-ray-5aNhavfyFey7EevIba9dUhOXHlDaTJADVr_YjUtLBGlS6TvksvymJw6dfEGo4ZtYghcZ9HHE98nE09xGffUyUu-j6oKSWLyAYaqNbmitNvij5kKqPtM5GziWpMkDDYXFIJmtFbxtn9s8sLBP9oFQrgWo6wET3ZjfE0bQILS-FnPFqWmnKILZoXeNWoO8rByEaIIyZsDDZv_5EhmmI-PFQ","e":"AQAB","alg":"RS256","use":"sig","kid":"force-rsa-2026"}]}`

# ES256 by the trusted P-256 key, kid force-ec-2026: the claims of signed_request.clearance.
token_es256 := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.d2GZFaDQfeD_ytvMK-snHfMHEbSsLZXfUFPc44OxycS1CR1h20QpRwbpNFKgjhr2pxpSYMPEnuujGsAOz9Umng`

# RS256 by the trusted RSA key, kid force-rsa-2026: the same claims.
token_rs256 := `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.i7k0rBCTD1RmniXV44ZgUkNMHznP7Au0OjXIgYlGeKSk_IiGoBMq3e4nIlhtyQLQdc5BVw_qk3OZLvjVsCMsTeT_8FhmIkQaMBwP7t42hrz_XEvlWpqkTdbkFxO3aWZdYZhO0udB8Frj1N4Et8yGcXeb2qLEWdwvtkoXFc-C5TZNKwqI2QneURlyQjvbhoZu6Fpxkqd5koVXvQBQ708dfUF9QDqghP2sMTzeY3qsAiEHLiUaJNy90pGzOi_WeFly4TGFLka4QhmbT3SFz_SnD20LNJ7Dotz3nnZXgbMkb5P0fpKEQ2ER6dp0B4XBp9QsRuH6_FyrA17OlfRrVZRaNg`

# As token_es256, without a kid.
token_es256_no_kid := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9._BhxRGZ_KdkQJPV7whyfGSKVF0iQVlSUk_JRX4voirvFQjhgLdYYPHFG_LaouMEqFhrc5OyyrHm1xpgqh6wjNQ`

# As token_rs256, without a kid.
token_rs256_no_kid := `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.uq0az-BSdSTiOIIXrW_FJQK0GQfihbihLJYS7Fwc-cH8ZdkcgtuY8bUUX_CS200z8NhQQEQIG-8oj9kWat940ceZkrCqs_P-K8HgF560sDdhG1KSIfWvNDy3CFJLo7KMAwV4Smf1OHJvg5sbXGYzI2NqzuD6F-rok3XubyehHUIqMVM89wHgv6RaH2aiAkosefoH6ET6dTT_krIEsF0JIS1hNSyjpncI1R4TKAXq30diuOiVHB6da7SZvlz1R3SXAxqkf9Z4Sew3Ku3quSVtgtm-5n2u8v7Ecm9vNVDwHIOhcI_RH7IbO8W20ynFXivSg4D6xI3wGtxgMQJe0Lanqw`

# As token_es256, with kid retired-key, which is not in the key set.
token_es256_unknown_kid := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJldGlyZWQta2V5In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.PzwN2QfzOKwFTXNW3NlpW5Xdy2pbGMBWCOi-Kcx6grokBMrCVOnCPxrfDihtDbe5ZWl0ya3DGpxAo-_TYA7EUg`

# As token_es256, with the kid of the trusted RSA key.
token_es256_rsa_kid := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.HvlYIrAb2kqU9J2v1rIWU9zCQaWGmKbq3o3SKN3nU7zewDwOh4ogC0KOQYRJ91cOYIVeYhOfeO4KNcvTUO8p2w`

# As token_es256, with categories [RECORD_CATEGORY_MEDICAL, RECORD_CATEGORY_COUNSELLING].
token_es256_two_categories := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX01FRElDQUwiLCJSRUNPUkRfQ0FURUdPUllfQ09VTlNFTExJTkciXSwiaWF0IjoxNzY4MjA4NDAwLCJuYmYiOjE3NjgyMDg0MDAsImV4cCI6NDEwMjQ0NDc5OX0.H8QBAENqtwbvUNDVsFi3BZNpScU2yF9fh5YSbepDEYNO2iLVqWnygWMmVjU4kTmu1-UkYtQRL1E-A23xjZ4eEQ`

# ES256: jti CLR-2026-0092, rank inspector, categories [RECORD_CATEGORY_MEDICAL], iss https://clearance.force.example.
token_es256_medical := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkyIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJpbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX01FRElDQUwiXSwiaWF0IjoxNzY4MjA4NDAwLCJuYmYiOjE3NjgyMDg0MDAsImV4cCI6NDEwMjQ0NDc5OSwiaXNzIjoiaHR0cHM6Ly9jbGVhcmFuY2UuZm9yY2UuZXhhbXBsZSJ9.-18Bj9R76VlhE2KF67SpoqxlE3ZpbskLOpXTDy4FwO-b-w8lM53d5Ehi-8-TEDjuQ_tV6MrttpbsFWmb9mPL6Q`

# ES256 with only jti, nbf and exp.
token_es256_bare := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiZXhwIjo0MTAyNDQ0Nzk5LCJuYmYiOjE3NjgyMDg0MDB9.q9on3pLTvvQYaTvx5zU-zvvsIRkrPgeYHQr93_-5DUS6VSStRzbexrKRs2uJV385VFS6Y6Uif9f9zlk7roAsPw`

# As token_es256, with aud vir-sidecar.
token_es256_aud := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTksImF1ZCI6InZpci1zaWRlY2FyIn0.FrTU01LTSxjFnkiMc9W28nTCnq0gZKZRl5MtmOXzvhGjfi16KLzz2kkIToYglUGARl1-9JzLZ9DlW-hDMwS0Jg`

# As token_es256, with iat as the string "1768208400".
token_es256_string_iat := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6IjE3NjgyMDg0MDAiLCJuYmYiOjE3NjgyMDg0MDAsImV4cCI6NDEwMjQ0NDc5OX0.ZsV4Vsm7Z4d1LHEmftXuWwBdyX-KkxYInDZgwRIn5cTofYJz8wSKOea1Lrj8p030oacEc203lXecVgi-iGoDcQ`

# The claims of token_es256 with its header, signed by another P-256 key.
token_forged_es256 := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.qv0iecyxfgyobVh7xHD3SJD0YTJnYneGRghUDQdMZsBIOf5H5FQ7q_x6H9Ohp3Luy81MCmCWgigAuh4cN8RYqw`

# The claims of token_rs256 with its header, signed by another RSA key.
token_forged_rs256 := `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.VLfsiEqG8pDb695IgJFVAM4bOzlVOM_7UXidD-vjkkgzlqvi0Ki983bVFDVhvoClP65DiUyuDuhanhb763lX8Mohzq4p8tkoEw53-Q6-pYmiWDb6g-wJYzqoyOktjWgVEnFw-hlUYtHXe5WZdNYmF4o2n47wnzZkqAhgQ0YbJ2P6vRRCnNSwjtiMXoX8bJNfB9z__qoEdKGpyzvuzQ-07qdLCcE0jasH0mqXWbzaT7RV8w3dg1VPTd2n4w-QzJ5x_pMI8vlwElAGaILx7Sga4neN6y9Y1OdhI2f6F1bY57KGtZMvFIPSa7r7mecCtSlXviRPY2bRjntBJbieYBv93A`

# As token_forged_es256, without a kid.
token_forged_es256_no_kid := `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.gE9doL9KdqGSAb-HQd2wG54ApJ3klx-HBTteLYY2KwDNGbqr9CKW1mJ_gaNLP9ixhK1SAaWS7qh2G_vh3ooX3A`

# RS512 by the trusted RSA key: the claims of token_es256.
token_rs512 := `eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.1dH2ZOvJSYbgFziNKcO-UAaoUVVNDZfuf_YbGGLmQmLeqTfSLenidY6AYBQWuYMJLAbjy-pvRGIjlyMhJCQPTVWFSFiNNU-SPBRdhNQuLRPyYi6c41-g2Vt_fOkqwXyWi0qN2lpkQfh0tMgqxAI_6s3AEO0txznXl9oZOk-JA3bc2WrIe4RzBiXGNYjlbdtzE5O611oZUtl1e8eNBJiRgbAdOEFoMIlXo-RLrgDaLXKd3SWvIrnYoA0l2faxMPXdTVM_t07oFrfji47lXopeR2pUsRyp6Pu-woOd7icjQy7YuQm-9bTmvDa3dNp3dw-nUZRMAcpopAHOjbwVq9zeOA`

# PS256 by the trusted RSA key: the claims of token_es256.
token_ps256 := `eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.gYmu5aiPHPN64PNvu8LmVB-Fxp7iX0ovlojDIVEswE1pXkSs9tR_J6GMucxnkvKDNWq5zJvhBQrZSzDBUDqF4Pnw11J-oV8y7y7N7BkVA6MREgKdvJnLXyiQGzDsHNxjycAeIvrNmMk-FcyDFgbvbAjaN3BQAUVMmvISCuXYv_pWwDpGHfMzTfH2vOKRwfzYi17p0lx2tcnsHlTL86LrZLSpJsPwrj3L4TssUaSCvj9QJwx_R-wz2z1E7fBOetwfXfxbhjIMSBr_69alZY2TPjGJCm-8hxS7M1LlkYoyk2Ef7KgFxht172xuVuHdI9poDtV4C0JroDtOSxBt6Q4XHw`

# alg none, no signature: the claims of token_es256.
token_alg_none := `eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.`

# HS256 with the secret "secret".
token_hs256_secret := `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.xi2ecD2YHC1C0AiC_GQ_TSJxeNiuKUECHffT3eoQ7Rs`

# HS256 with clearance_jwks itself as the secret, kid force-ec-2026.
token_hs256_jwks := `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLWVjLTIwMjYifQ.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.uJpiCAum6QNL7srL7PpEShJs6TGlAjVaHlNKcOPBJq8`

# HS256 with the trusted RSA public key (PEM) as the secret, kid force-rsa-2026.
token_hs256_rsa_pem := `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZvcmNlLXJzYS0yMDI2In0.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.YZgnpxQeRDll0mRua9ZVrjm8vAwNtNDLdQ-_TMxsBl8`

# HS256 with an empty secret.
token_hs256_empty := `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiJDTFItMjAyNi0wMDkxIiwiYXV0aG9yaXNlcl9pZCI6IkNJLTExODciLCJhdXRob3Jpc2VyX3JhbmsiOiJjaGllZl9pbnNwZWN0b3IiLCJjcmltZV9yZWZlcmVuY2UiOiJDUi0yMDI1LTAwNDQxNyIsInZpY3RpbV9pZCI6IlYtN0YzQSIsImNhdGVnb3JpZXMiOlsiUkVDT1JEX0NBVEVHT1JZX0NPVU5TRUxMSU5HIl0sImlhdCI6MTc2ODIwODQwMCwibmJmIjoxNzY4MjA4NDAwLCJleHAiOjQxMDI0NDQ3OTl9.RWcA-0IQdhI-u21a1SuwAEIhjMECfR1DuQiY5IwEA0k`
