from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sidecar.config import Config, ConfigError, add_arguments, resolve


def parse(*argv: str, env: dict[str, str] | None = None) -> Config:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve(parser.parse_args(list(argv)), env or {})


def test_defaults_are_durable_and_loopback() -> None:
    config = parse()
    assert config.audit_fsync is True
    assert config.listen == "127.0.0.1:50051"
    assert config.opa_timeout == 0.25
    assert config.opa_url is None


def test_environment_fills_unset_flags() -> None:
    config = parse(env={"VIR_OPA_TIMEOUT": "0.5", "VIR_AUDIT_DIR": "/data/audit"})
    assert config.opa_timeout == 0.5
    assert config.audit_dir == Path("/data/audit")


def test_flag_beats_environment() -> None:
    config = parse("--opa-timeout", "0.1", env={"VIR_OPA_TIMEOUT": "0.5"})
    assert config.opa_timeout == 0.1


def test_boolean_flag_and_environment() -> None:
    assert parse("--no-audit-fsync").audit_fsync is False
    assert parse(env={"VIR_AUDIT_FSYNC": "false"}).audit_fsync is False
    assert parse("--audit-fsync", env={"VIR_AUDIT_FSYNC": "false"}).audit_fsync is True


def test_dev_flag() -> None:
    assert parse("--dev").dev is True
    assert parse(env={"VIR_DEV": "1"}).dev is True
    assert parse().dev is False


def test_accepting_a_damaged_audit_tail_is_off_unless_asked_for() -> None:
    assert parse().audit_accept_damaged_tail is False
    assert parse("--audit-accept-damaged-tail").audit_accept_damaged_tail is True
    env = {"VIR_AUDIT_ACCEPT_DAMAGED_TAIL": "true"}
    assert parse(env=env).audit_accept_damaged_tail is True


@pytest.mark.parametrize(
    ("argv", "env", "names"),
    [
        (["--opa-timeout", "0"], {}, "--opa-timeout"),
        ([], {"VIR_OPA_TIMEOUT": "soon"}, "VIR_OPA_TIMEOUT"),
        ([], {"VIR_AUDIT_FSYNC": "maybe"}, "VIR_AUDIT_FSYNC"),
        (["--listen", "50051"], {}, "--listen"),
        (["--log-format", "xml"], {}, "--log-format"),
        (["--audit-max-file-bytes", "-1"], {}, "--audit-max-file-bytes"),
    ],
)
def test_bad_values_are_reported_with_their_source(
    argv: list[str], env: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigError, match=names):
        parse(*argv, env=env)


def test_help_names_each_environment_variable() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    text = parser.format_help()
    for variable in ("VIR_LISTEN", "VIR_OPA_URL", "VIR_AUDIT_FSYNC", "VIR_OPA_TIMEOUT"):
        assert variable in text


def test_plain_text_on_a_non_loopback_address_needs_insecure() -> None:
    with pytest.raises(ConfigError, match="--insecure"):
        parse("--listen", "0.0.0.0:50051")
    assert parse("--listen", "0.0.0.0:50051", "--insecure").insecure is True


@pytest.mark.parametrize("address", ["127.0.0.1:1", "localhost:1", "[::1]:1", "127.8.9.10:1"])
def test_loopback_addresses_need_no_tls(address: str) -> None:
    assert parse("--listen", address).listen == address


def test_tls_allows_any_address() -> None:
    config = parse("--listen", "0.0.0.0:50051", "--tls-cert", "c.pem", "--tls-key", "k.pem")
    assert config.tls is True


@pytest.mark.parametrize(
    "argv",
    [["--tls-cert", "c.pem"], ["--tls-key", "k.pem"], ["--tls-client-ca", "ca.pem"]],
)
def test_incomplete_tls_settings_are_refused(argv: list[str]) -> None:
    with pytest.raises(ConfigError, match="--tls"):
        parse(*argv)


@pytest.mark.parametrize("url", ["http://10.0.0.7:8181", "http://opa:8181", "tcp://opa:8181"])
def test_opa_url_other_than_https_or_unix_socket_is_refused_at_startup(url: str) -> None:
    with pytest.raises(ConfigError, match="--opa-url"):
        parse("--opa-url", url)


def test_opa_url_over_https_or_unix_socket_or_loopback_http_is_accepted() -> None:
    assert parse("--opa-url", "https://opa.example:8443").opa_url == "https://opa.example:8443"
    assert parse("--opa-url", "unix:///run/opa/opa.sock").opa_url == "unix:///run/opa/opa.sock"
    assert parse(env={"VIR_OPA_URL": "http://127.0.0.1:8181"}).opa_url == "http://127.0.0.1:8181"


def test_opa_token_file_from_flag_or_environment_needs_opa_url() -> None:
    config = parse("--opa-url", "https://opa.example", env={"VIR_OPA_TOKEN_FILE": "/run/t"})
    assert config.opa_token_file == Path("/run/t")
    with pytest.raises(ConfigError, match="--opa-token-file needs --opa-url"):
        parse("--opa-token-file", "/run/t")


def test_policy_settings_from_flag_or_environment_are_for_the_sidecars_own_opa() -> None:
    assert parse("--policy-settings", "/etc/force.yaml").policy_settings == Path("/etc/force.yaml")
    config = parse(env={"VIR_POLICY_SETTINGS": "/etc/force.json"})
    assert config.policy_settings == Path("/etc/force.json")
    assert parse().policy_settings is None
    with pytest.raises(ConfigError, match="--policy-settings is for the sidecar's own OPA"):
        parse("--policy-settings", "/etc/force.yaml", "--opa-url", "unix:///run/opa/opa.sock")
