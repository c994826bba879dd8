from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sidecar.clearance_keys import ClearanceKeys, ClearanceKeysError, parse_jwks

EC_KEY = {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB", "kid": "k1"}
RSA_KEY = {"kty": "RSA", "n": "CCCC", "e": "AQAB", "kid": "k2"}


def test_parse_accepts_public_ec_and_rsa_keys_and_compacts() -> None:
    text = json.dumps({"keys": [EC_KEY, RSA_KEY]}, indent=4)
    compact = parse_jwks(text, "f")
    assert json.loads(compact) == {"keys": [EC_KEY, RSA_KEY]}
    assert "\n" not in compact


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[]", "no keys"),
        ('{"keys": []}', "no keys"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "not an EC or RSA"),
        (json.dumps({"keys": [dict(EC_KEY, d="private")]}), "private key"),
    ],
)
def test_parse_rejects_unusable_key_sets(text: str, problem: str) -> None:
    with pytest.raises(ClearanceKeysError, match=problem):
        parse_jwks(text, "keys.json")


def write(path: Path, *keys: dict[str, str], mtime_ns: int) -> None:
    path.write_text(json.dumps({"keys": list(keys)}))
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_reloads_a_changed_file_and_keeps_the_last_good_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write(path, EC_KEY, mtime_ns=1_000_000_000)
    keys = ClearanceKeys(path, interval=0)
    assert json.loads(keys.current())["keys"] == [EC_KEY]

    write(path, RSA_KEY, mtime_ns=2_000_000_000)
    assert json.loads(keys.current())["keys"] == [RSA_KEY]

    path.write_text("{broken")
    os.utime(path, ns=(3_000_000_000, 3_000_000_000))
    assert json.loads(keys.current())["keys"] == [RSA_KEY]

    path.unlink()
    assert json.loads(keys.current())["keys"] == [RSA_KEY]


def test_file_is_not_re_read_within_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write(path, EC_KEY, mtime_ns=1_000_000_000)
    keys = ClearanceKeys(path, interval=3600)
    keys.current()
    write(path, RSA_KEY, mtime_ns=2_000_000_000)
    assert json.loads(keys.current())["keys"] == [EC_KEY]


def test_unreadable_file_at_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ClearanceKeys(tmp_path / "absent.json")
