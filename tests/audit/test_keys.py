import os
import stat
from pathlib import Path

import pytest

from sidecar.audit import AuditKeyError, create_dev_key, load_audit_key

HEX_KEY = "00112233445566778899aabbccddeeff" * 2


def test_key_file_holds_hex_and_surrounding_whitespace_is_ignored(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"  {HEX_KEY}\n")

    assert load_audit_key(key_file, {}) == bytes.fromhex(HEX_KEY)


def test_environment_variable_is_used_without_a_key_file() -> None:
    assert load_audit_key(None, {"VIR_AUDIT_KEY": HEX_KEY}) == bytes.fromhex(HEX_KEY)


def test_key_file_wins_over_the_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("ff" * 32)

    assert load_audit_key(key_file, {"VIR_AUDIT_KEY": HEX_KEY}) == b"\xff" * 32


def test_longer_keys_are_accepted() -> None:
    assert len(load_audit_key(None, {"VIR_AUDIT_KEY": "ab" * 64})) == 64


@pytest.mark.parametrize("env", [{}, {"VIR_AUDIT_KEY": ""}, {"VIR_AUDIT_KEY": "  \n"}])
def test_missing_key_is_a_clear_error(env: dict[str, str]) -> None:
    with pytest.raises(AuditKeyError, match="no audit key"):
        load_audit_key(None, env)


def test_short_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(AuditKeyError, match="too short") as error:
        load_audit_key(None, {"VIR_AUDIT_KEY": "ab" * 31})
    assert "abab" not in str(error.value)


def test_non_hex_key_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("correct horse battery staple " * 3)

    with pytest.raises(AuditKeyError, match="not hex"):
        load_audit_key(key_file, {})


def test_unreadable_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match="cannot read audit key file"):
        load_audit_key(tmp_path / "absent", {})


def test_dev_key_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dev-audit.key"

    first = create_dev_key(path)
    second = create_dev_key(path)

    assert len(first) == 32
    assert second == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_audit_key(path, {}) == first
