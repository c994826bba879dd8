"""Settings for `vir-sidecar serve`: a flag, else a VIR_* variable, else a default."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidecar.errors import StartupError
from sidecar.opa.endpoint import BadOpaUrl, is_loopback_host, parse_opa_url


class ConfigError(StartupError, ValueError):
    """A setting has a value the sidecar cannot use."""


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _parse_positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"must be greater than 0: {text!r}")
    return value


def _parse_positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"must be greater than 0: {text!r}")
    return value


def _parse_optional_path(text: str) -> Path | None:
    return Path(text) if text else None


@dataclass(frozen=True)
class Option:
    """One setting: its flag, environment variable, parser, default and help."""

    field: str
    help: str
    parse: Callable[[str], Any] = str
    default: Any = None
    is_flag: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")

    @property
    def env(self) -> str:
        return "VIR_" + self.field.upper()


@dataclass(frozen=True)
class Config:
    """Resolved settings of one sidecar process."""

    listen: str = "127.0.0.1:50051"
    metrics_listen: str = "127.0.0.1:9464"
    opa_url: str | None = None
    opa_token_file: Path | None = None
    opa_binary: str | None = None
    policy_dir: Path = Path("policies")
    policy_bundle: Path | None = None
    policy_settings: Path | None = None
    bundle_verification_key: Path | None = None
    bundle_verification_key_id: str = "vir-bundle"
    policy_revision: str | None = None
    opa_timeout: float = 0.25
    audit_dir: Path = Path("var/audit")
    audit_key_file: Path | None = None
    audit_fsync: bool = True
    audit_max_file_bytes: int = 64 * 1024 * 1024
    audit_accept_damaged_tail: bool = False
    grace_period: float = 10.0
    health_interval: float = 1.0
    max_message_bytes: int = 256 * 1024
    log_format: str = "auto"
    log_level: str = "info"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    insecure: bool = False
    clearance_keys: Path | None = None
    dev: bool = False

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


_DEFAULTS = Config()

OPTIONS: tuple[Option, ...] = (
    Option("listen", "gRPC listen address, HOST:PORT", default=_DEFAULTS.listen),
    Option(
        "metrics_listen",
        "Prometheus /metrics listen address, HOST:PORT",
        default=_DEFAULTS.metrics_listen,
    ),
    Option(
        "opa_url",
        "OPA server to use: unix:///PATH/TO/SOCKET or https://HOST[:PORT] (plain http only to"
        " loopback, for tests); when unset the sidecar starts and supervises its own OPA on a"
        " private unix socket",
    ),
    Option(
        "opa_token_file",
        "file holding a bearer token sent with every OPA query, for OPA's"
        " --authentication=token (with --opa-url)",
        parse=_parse_optional_path,
    ),
    Option(
        "opa_binary",
        "opa binary to start when --opa-url is unset (default: .tools/bin/opa, then PATH)",
    ),
    Option(
        "policy_dir",
        "policy sources: the supervised OPA serves a bundle built from them at start, and"
        " a rebuilt one whenever they change",
        parse=Path,
        default=_DEFAULTS.policy_dir,
    ),
    Option(
        "policy_bundle",
        "a built bundle file (make bundle) for the supervised OPA instead of --policy-dir;"
        " reloaded whenever the file changes",
        parse=_parse_optional_path,
    ),
    Option(
        "policy_settings",
        "a force's settings file (YAML or JSON), merged over the shipped defaults and served"
        " as the settings the rules read; the policy checks them first and a start with a"
        " problem fails, naming it; reloaded whenever the file changes (default: the shipped"
        " defaults)",
        parse=_parse_optional_path,
    ),
    Option(
        "bundle_verification_key",
        "public key (PEM) the supervised OPA checks --policy-bundle's signature with: an"
        " unsigned or altered bundle is refused",
        parse=_parse_optional_path,
    ),
    Option(
        "bundle_verification_key_id",
        "the key id a bundle's signature must name",
        default=_DEFAULTS.bundle_verification_key_id,
    ),
    Option(
        "policy_revision",
        "policy revision to report with --opa-url when OPA's provenance names no bundle"
        " revision (OPA not serving a bundle with a manifest); default: unknown",
    ),
    Option(
        "opa_timeout",
        "seconds to wait for OPA per decision, also bounded by the caller's deadline",
        parse=_parse_positive_float,
        default=_DEFAULTS.opa_timeout,
    ),
    Option("audit_dir", "directory of the audit trail", parse=Path, default=_DEFAULTS.audit_dir),
    Option(
        "audit_key_file",
        "file holding the audit HMAC key (or set VIR_AUDIT_KEY to the key itself)",
        parse=_parse_optional_path,
    ),
    Option(
        "audit_fsync",
        "fsync each audit batch before answering; 'false' is for tests and benchmarks only",
        parse=_parse_bool,
        default=_DEFAULTS.audit_fsync,
    ),
    Option(
        "audit_max_file_bytes",
        "rotate the audit file after this many bytes",
        parse=_parse_positive_int,
        default=_DEFAULTS.audit_max_file_bytes,
    ),
    Option(
        "audit_accept_damaged_tail",
        "an operator's acknowledgement: set aside a complete final audit record that fails"
        " verification (tampering, not a crash) and carry on; written into the trail",
        parse=_parse_bool,
        default=False,
        is_flag=True,
    ),
    Option(
        "grace_period",
        "seconds to drain in-flight checks on SIGTERM or SIGINT",
        parse=_parse_positive_float,
        default=_DEFAULTS.grace_period,
    ),
    Option(
        "health_interval",
        "seconds between health probes (OPA and the audit disk, side by side)",
        parse=_parse_positive_float,
        default=_DEFAULTS.health_interval,
    ),
    Option(
        "max_message_bytes",
        "largest gRPC request accepted, in bytes",
        parse=_parse_positive_int,
        default=_DEFAULTS.max_message_bytes,
    ),
    Option(
        "tls_cert", "PEM certificate chain for TLS on the gRPC listener", parse=_parse_optional_path
    ),
    Option("tls_key", "PEM private key for --tls-cert", parse=_parse_optional_path),
    Option(
        "tls_client_ca",
        "PEM CA bundle; when set, callers must present a client certificate it signed (mTLS)",
        parse=_parse_optional_path,
    ),
    Option(
        "insecure",
        "allow listening on a non-loopback address without TLS (never in production)",
        parse=_parse_bool,
        default=False,
        is_flag=True,
    ),
    Option(
        "clearance_keys",
        "JWKS of the keys that sign clearances; when set every checked clearance needs a"
        " valid token (re-read when the file changes)",
        parse=_parse_optional_path,
    ),
    Option("log_format", "auto, json or console", default=_DEFAULTS.log_format),
    Option("log_level", "debug, info, warning or error", default=_DEFAULTS.log_level),
    Option(
        "dev",
        "development mode: create a local audit key if none is given (never in production)",
        parse=_parse_bool,
        default=False,
        is_flag=True,
    ),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare every option on `parser`; unset flags stay None so the environment can fill them."""
    for option in OPTIONS:
        help_text = f"{option.help} [env {option.env}; default {option.default}]"
        if option.is_flag:
            parser.add_argument(
                option.flag, dest=option.field, action="store_true", default=None, help=help_text
            )
        elif option.parse is _parse_bool:
            parser.add_argument(
                option.flag,
                dest=option.field,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                option.flag, dest=option.field, default=None, metavar="VALUE", help=help_text
            )


def resolve(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Config:
    """Combine flags, then VIR_* variables, then defaults into a Config."""
    environ = os.environ if env is None else env
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = getattr(args, option.field, None)
        source = option.flag
        if raw is None and option.env in environ:
            raw, source = environ[option.env], option.env
        if raw is None:
            continue
        if isinstance(raw, str):
            try:
                raw = option.parse(raw)
            except ValueError as error:
                raise ConfigError(f"{source}: {error}") from error
        values[option.field] = raw
    config = dataclasses.replace(_DEFAULTS, **values)
    _check(config)
    return config


def is_loopback(address: str) -> bool:
    """True when HOST:PORT names a loopback host, so only this machine can connect."""
    return is_loopback_host(address.rpartition(":")[0].strip("[]"))


def _check(config: Config) -> None:
    if config.opa_url is not None:
        try:
            parse_opa_url(config.opa_url)
        except BadOpaUrl as error:
            raise ConfigError(f"--opa-url: {error}") from error
    if config.bundle_verification_key is not None and config.policy_bundle is None:
        raise ConfigError(
            "--bundle-verification-key needs --policy-bundle (a bundle built from"
            " --policy-dir at start is not signed)"
        )
    if config.policy_bundle is not None and config.opa_url is not None:
        raise ConfigError("--policy-bundle is for the sidecar's own OPA, not with --opa-url")
    if config.policy_settings is not None and config.opa_url is not None:
        raise ConfigError(
            "--policy-settings is for the sidecar's own OPA, not with --opa-url: give that"
            " OPA the settings bundle (vir-sidecar settings build)"
        )
    if config.opa_token_file is not None and config.opa_url is None:
        raise ConfigError("--opa-token-file needs --opa-url (the sidecar's own OPA needs no token)")
    if config.log_format not in {"auto", "json", "console"}:
        raise ConfigError(
            f"--log-format: expected auto, json or console, got {config.log_format!r}"
        )
    if config.log_level not in {"debug", "info", "warning", "error"}:
        raise ConfigError(f"--log-level: unknown level {config.log_level!r}")
    if (config.tls_cert is None) != (config.tls_key is None):
        raise ConfigError("--tls-cert and --tls-key go together")
    if config.tls_client_ca is not None and not config.tls:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
    if not config.tls and not config.insecure and not is_loopback(config.listen):
        raise ConfigError(
            f"--listen {config.listen} is not a loopback address: configure TLS"
            " (--tls-cert, --tls-key, --tls-client-ca) or pass --insecure explicitly"
        )
    for field in ("listen", "metrics_listen"):
        address = getattr(config, field)
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(f"--{field.replace('_', '-')}: expected HOST:PORT, got {address!r}")
