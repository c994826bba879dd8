from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from google.protobuf import json_format

from sidecar import cli
from sidecar.api import pb
from sidecar.clearance_token import claims_for, public_jwk, sign


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    header, payload, signature = token.split(".")
    signing_input = f"{header}.{payload}".encode()
    return json.loads(unb64(header)), json.loads(unb64(payload)), unb64(signature), signing_input


def test_claims_repeat_the_structured_clearance(allowed_request: pb.CheckRequest) -> None:
    claims = claims_for(allowed_request.clearance)
    assert claims == {
        "jti": "CLR-2026-0441",
        "authoriser_id": "CI-1107",
        "authoriser_rank": "detective_chief_inspector",
        "crime_reference": "43/12345/26",
        "victim_id": "V-7f3a9c",
        "categories": ["RECORD_CATEGORY_COUNSELLING"],
        "iat": 1_796_029_200,
        "nbf": 1_796_029_200,
        "exp": 1_803_718_800,
    }


def test_es256_token_verifies_with_the_public_key(allowed_request: pb.CheckRequest) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    header, payload, signature, signing_input = parts(
        sign(claims_for(allowed_request.clearance), key)
    )
    assert header == {"alg": "ES256", "typ": "JWT", "kid": public_jwk(key)["kid"]}
    assert payload["jti"] == "CLR-2026-0441"
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    key.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


def test_rs256_token_verifies_with_the_public_key(allowed_request: pb.CheckRequest) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header, _, signature, signing_input = parts(sign(claims_for(allowed_request.clearance), key))
    assert header["alg"] == "RS256"
    key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())


def test_public_jwk_holds_no_private_part_and_a_stable_thumbprint() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key)
    assert set(jwk) == {"kty", "crv", "x", "y", "alg", "use", "kid"}
    assert public_jwk(key)["kid"] == jwk["kid"]


def test_other_curves_are_refused() -> None:
    with pytest.raises(ValueError, match="P-256"):
        public_jwk(ec.generate_private_key(ec.SECP384R1()))


def sign_cli(tmp_path: Path, document: dict[str, Any], *flags: str) -> str:
    key = tmp_path / "key.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    source = tmp_path / "clearance.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    args = ["clearance", "sign", "--key", str(key), "--clearance", str(source), *flags]
    assert cli.main(args) == 0
    return source.read_text(encoding="utf-8")


def test_sign_embed_puts_the_token_in_the_requests_clearance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], allowed_request: pb.CheckRequest
) -> None:
    document = json_format.MessageToDict(allowed_request, preserving_proto_field_name=True)
    sign_cli(tmp_path, document, "--embed")
    printed = json.loads(capsys.readouterr().out)
    token = printed["clearance"].pop("token")
    assert printed == document
    assert parts(token)[1] == claims_for(allowed_request.clearance)


def test_sign_embed_on_a_bare_clearance_sets_its_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], allowed_request: pb.CheckRequest
) -> None:
    document = json_format.MessageToDict(allowed_request.clearance)
    sign_cli(tmp_path, document, "--embed")
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {*document, "token"}


def test_sign_without_embed_prints_the_token_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], allowed_request: pb.CheckRequest
) -> None:
    sign_cli(tmp_path, json_format.MessageToDict(allowed_request.clearance))
    [line] = capsys.readouterr().out.splitlines()
    assert line.count(".") == 2
