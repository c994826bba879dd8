"""Signed clearances: the claim set, and `vir-sidecar clearance sign|jwks` for issuing test tokens.

A force's authorisation system issues a compact JWS (ES256 or RS256) whose
claims repeat the structured clearance; the policy checks both agree.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from google.protobuf import json_format

from sidecar.api import pb

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int, length: int | None = None) -> bytes:
    size = length or max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(size, "big")


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half of `key` as a JWK, with its RFC 7638 thumbprint as `kid`."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("EC clearance keys must be P-256 (ES256)")
        numbers = key.public_key().public_numbers()
        required = {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url(_int_bytes(numbers.x, 32)),
            "y": b64url(_int_bytes(numbers.y, 32)),
        }
        alg = "ES256"
    else:
        rsa_numbers = key.public_key().public_numbers()
        required = {
            "e": b64url(_int_bytes(rsa_numbers.e)),
            "kty": "RSA",
            "n": b64url(_int_bytes(rsa_numbers.n)),
        }
        alg = "RS256"
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    kid = b64url(hashlib.sha256(canonical).digest())
    return {**required, "alg": alg, "use": "sig", "kid": kid}


def claims_for(clearance: pb.Clearance) -> dict[str, Any]:
    """The claim set a token for `clearance` must carry (see docs/policy.md)."""
    return {
        "jti": clearance.id,
        "authoriser_id": clearance.authoriser_id,
        "authoriser_rank": clearance.authoriser_rank,
        "crime_reference": clearance.crime_reference,
        "victim_id": clearance.victim_id,
        "categories": [pb.RecordCategory.Name(c) for c in clearance.categories],
        "iat": clearance.granted_at.seconds,
        "nbf": clearance.granted_at.seconds,
        "exp": clearance.expires_at.seconds,
    }


def sign(claims: dict[str, Any], key: PrivateKey) -> str:
    """A compact JWS of `claims`, ES256 for a P-256 key or RS256 for an RSA key."""
    jwk = public_jwk(key)
    header = {"alg": jwk["alg"], "typ": "JWT", "kid": jwk["kid"]}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    ).encode("ascii")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = _int_bytes(r, 32) + _int_bytes(s, 32)
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode("ascii") + "." + b64url(signature)


def load_private_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{path}: clearance keys must be EC P-256 or RSA")
    return key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="clearance_command", required=True)
    sign_parser = commands.add_parser("sign", help="print a signed token for a clearance")
    sign_parser.add_argument("--key", type=Path, required=True, help="PEM private key")
    sign_parser.add_argument(
        "--clearance",
        type=Path,
        required=True,
        help="the Clearance as protobuf JSON (or a CheckRequest JSON with a clearance)",
    )
    sign_parser.add_argument(
        "--embed",
        action="store_true",
        help="print the --clearance document with the token put in its clearance.token,"
        " ready to send, instead of the token alone",
    )
    jwks_parser = commands.add_parser("jwks", help="print the public JWKS of a private key")
    jwks_parser.add_argument("--key", type=Path, required=True, nargs="+", help="PEM keys")


def _clearance_part(document: object) -> dict[str, Any]:
    """The clearance object of a CheckRequest document, or the document itself."""
    if not isinstance(document, dict):
        raise ValueError("the clearance file must hold a JSON object")
    inner = document.get("clearance")
    return inner if isinstance(inner, dict) else document


def run(args: argparse.Namespace) -> int:
    try:
        if args.clearance_command == "sign":
            document = json.loads(args.clearance.read_text(encoding="utf-8"))
            part = _clearance_part(document)
            clearance = json_format.ParseDict(part, pb.Clearance())
            token = sign(claims_for(clearance), load_private_key(args.key))
            if args.embed:
                part["token"] = token
                print(json.dumps(document, indent=2, ensure_ascii=False))
            else:
                print(token)
        else:
            keys = [public_jwk(load_private_key(path)) for path in args.key]
            print(json.dumps({"keys": keys}, indent=2))
    except (OSError, ValueError, json_format.ParseError) as error:
        print(f"vir-sidecar clearance: {error}", file=sys.stderr)
        return 2
    return 0
