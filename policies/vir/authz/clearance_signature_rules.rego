# Signed clearances.
#
# When the sidecar is started with clearance-signing keys it passes them to
# every decision as a JWKS in a JSON string, input.context.clearance_keys.
# Every clearance that is checked (see clearance_rules.rego) must then carry,
# in clearance.token, a JWT signed with ES256 or RS256 by one of those keys,
# valid at the decision time, whose claims repeat the clearance's fields.
# Without keys (null or absent) the clearance is accepted as the caller
# records it.
package vir.authz

# clearance_signing: the sidecar gave keys, so clearances must be signed. Keys
# that are given but cannot be read verify no token.
clearance_signing if object.get(context, "clearance_keys", null) != null

clearance_signature_algorithms := {"ES256", "RS256"}

# clearance_token_claims are the claims of clearance.token when the token is
# signed with an accepted algorithm by one of the keys and is valid at the
# decision time (its nbf and exp); undefined otherwise, including when the
# token or the keys cannot be read.
clearance_token_claims := claims if {
	keys := context.clearance_keys
	is_string(keys)
	token := text(clearance, "token")
	[header, _, _] := io.jwt.decode(token)
	header.alg in clearance_signature_algorithms
	[verified, _, claims] := io.jwt.decode_verify(token, {"cert": keys, "alg": header.alg, "time": now_ns})
	verified == true
}

# The text claims and the clearance fields they must equal exactly.
clearance_text_claims := {
	"jti": "id",
	"authoriser_id": "authoriser_id",
	"authoriser_rank": "authoriser_rank",
	"crime_reference": "crime_reference",
	"victim_id": "victim_id",
}

# The time claims (whole Unix seconds) and the clearance timestamps they give.
clearance_time_claims := {
	"iat": "granted_at",
	"nbf": "granted_at",
	"exp": "expires_at",
}

# clearance_claims_differing are the claims of a verified token that do not
# match the clearance. The tests are functions of whole objects, so that a
# claim or field that is absent reads as differing inside "not".
clearance_claims_differing contains claim if {
	claims := clearance_token_claims
	some claim, field in clearance_text_claims
	not claim_is_text(claims, claim, clearance, field)
}

clearance_claims_differing contains "categories" if {
	claims := clearance_token_claims
	not claim_is_set(claims, "categories", clearance, "categories")
}

clearance_claims_differing contains claim if {
	claims := clearance_token_claims
	some claim, field in clearance_time_claims
	not claim_is_seconds(claims, claim, clearance, field)
}

# claim_is_text: the claim is a text equal to the field.
claim_is_text(claims, claim, obj, field) if {
	is_string(claims[claim])
	claims[claim] == obj[field]
}

# claim_is_set: the claim and the field are lists with the same elements,
# ignoring order and repeats.
claim_is_set(claims, claim, obj, field) if {
	is_array(claims[claim])
	is_array(obj[field])
	{x | some x in claims[claim]} == {x | some x in obj[field]}
}

# claim_is_seconds: the claim is the timestamp field in whole seconds.
claim_is_seconds(claims, claim, obj, field) if {
	claims[claim] == unix_seconds(obj, field)
}

# unix_seconds is a timestamp field in whole seconds since the epoch, the
# fraction of a second dropped.
unix_seconds(obj, key) := (ns - (ns % 1000000000)) / 1000000000 if {
	ns := timestamp_ns(obj, key)
}

clearance_token_valid if {
	clearance_token_claims
	count(clearance_claims_differing) == 0
}

reason_codes contains "clearance_signature_invalid" if {
	clearance_signing
	clearance_checked
	not clearance_token_valid
}

finding_text["clearance_signature_invalid"] := {
	"message": "The clearance could not be confirmed. It needs a clearance token, signed by one of the force's clearance-signing keys and still in date, that matches the clearance details sent with the request.",
	"reference": "Home Office announcement of 12 January 2026 (clearance at chief inspector level), not the statute; force setting clearance-signing keys",
}

finding_detail["clearance_signature_invalid"] := clearance_signature_detail

clearance_signature_detail := "No clearance token was given." if {
	missing_text(clearance, "token")
} else := "The token is not a JWT signed with ES256 or RS256 by one of the keys, or it is not valid at the time of this request." if {
	not clearance_token_claims
} else := sprintf("Token claims that differ from the clearance: %s.", [concat(", ", sort(clearance_claims_differing))])
