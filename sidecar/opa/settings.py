"""A force's settings: its own file merged over the shipped defaults, served as a bundle.

The rules bundle claims the rule packages and carries the shipped defaults at
`vir/defaults` (policies/vir/config/data.yaml). The settings bundle claims
`vir/config` alone and holds the complete effective settings there, which the
rules read. A force's settings file (YAML or JSON) is merged over the
defaults: mappings key by key, anything else (a list, a string, a number,
null) replaced, as Helm's mustMergeOverwrite does, so the chart and the
sidecar make the same settings of the same values.

The settings bundle's revision is `sha256:<hex>` of vir/config/data.json,
which is written as Helm's toJson writes it (keys sorted, no spaces, `<`, `>`
and `&` escaped): the same settings give the same revision from the chart and
from `vir-sidecar settings build`, and `sha256sum vir/config/data.json`
recomputes it.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import math
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sidecar.errors import StartupError
from sidecar.opa import bundle

SETTINGS_ROOT = "vir/config"
# Where the shipped defaults are written in the policy sources.
DEFAULTS_SOURCE = Path(*bundle.DEFAULTS_SOURCE_DIR, "data.yaml")
DATA_FILE = "vir/config/data.json"

Settings = dict[str, Any]


class SettingsError(StartupError):
    """The policy settings cannot be read, or the policy finds problems in them."""


class _Loader(yaml.SafeLoader):
    """YAML as Helm reads it for these settings: dates stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_file(path: Path) -> Settings:
    """A settings file: a mapping of setting names to values, in YAML or JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read the settings file {path}: {error}") from error
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.load(text, _Loader)  # noqa: S506 - a SafeLoader
    except (ValueError, yaml.YAMLError) as error:
        raise SettingsError(f"{path} is not valid {_format(path)}: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise SettingsError(
            f"{path}: settings must be a mapping of setting names to values,"
            f" not {type(document).__name__}"
        )
    return document


def _format(path: Path) -> str:
    return "JSON" if path.suffix == ".json" else "YAML"


def merge(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> Settings:
    """`overrides` over `defaults`: mappings merge key by key, anything else replaces."""
    merged: Settings = dict(defaults)
    for key, value in overrides.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


def canonical_json(value: object) -> bytes:
    """`value` as JSON, byte for byte as Helm's toJson (Go's encoding/json) writes it."""
    return _go_json(value).encode("utf-8")


def revision_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _go_json(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _go_number(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, Mapping):
        items = sorted((_go_key(key), item) for key, item in value.items())
        return "{" + ",".join(f"{_go_string(key)}:{_go_json(item)}" for key, item in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_go_json(item) for item in value) + "]"
    raise SettingsError(f"a setting holds {type(value).__name__} {value!r}, not a JSON value")


def _go_key(key: object) -> str:
    """A mapping key as Helm's YAML reader makes it: a string."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return _go_json(key)
    if isinstance(key, int | float):
        return _go_number(key)
    raise SettingsError(f"a setting is keyed by {type(key).__name__} {key!r}")


def _go_number(number: float) -> str:
    """A number as Go writes a float64: Helm reads every YAML number as one."""
    value = float(number)
    if not math.isfinite(value):
        raise SettingsError(f"a setting holds {number!r}, which JSON cannot write")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    magnitude = abs(value)
    if 1e-6 <= magnitude < 1e21:
        if value.is_integer():
            return str(int(value))
        return format(decimal.Decimal(repr(value)), "f")
    mantissa, _, exponent = repr(value).partition("e")
    power = int(exponent)
    return f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power):d}"


_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _go_string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _GO_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            out.append("\ufffd")  # a lone surrogate is not UTF-8: Go writes the replacement
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def defaults_of_policy_dir(policy_dir: Path) -> Settings:
    """The shipped defaults in the policy sources."""
    return load_file(policy_dir / DEFAULTS_SOURCE)


def defaults_of_bundle(bundle_file: Path) -> Settings:
    """The shipped defaults a built rules bundle carries at vir/defaults."""
    try:
        defaults = bundle.read_data(bundle_file)["vir"]["defaults"]
    except (KeyError, TypeError) as error:
        raise SettingsError(
            f"{bundle_file} carries no settings defaults at"
            f" data.{bundle.DEFAULTS_ROOT.replace('/', '.')}: rebuild it with"
            " `vir-sidecar bundle build`"
        ) from error
    if not isinstance(defaults, dict):
        raise SettingsError(f"{bundle_file}: the settings defaults are not a mapping")
    return defaults


def effective(defaults: Mapping[str, Any], settings_file: Path | None) -> Settings:
    """The settings OPA serves: the force's file over the defaults, or the defaults."""
    if settings_file is None:
        return dict(defaults)
    return merge(defaults, load_file(settings_file))


@dataclass(frozen=True)
class SettingsBundle:
    """A settings bundle directory and the revision its manifest names."""

    path: Path
    revision: str


def write_bundle(settings: Mapping[str, Any], directory: Path) -> SettingsBundle:
    """Write `settings` as a bundle directory claiming vir/config; replace it whole."""
    data = canonical_json(settings)
    revision = revision_of(data)
    manifest = canonical_json({"revision": revision, "roots": [SETTINGS_ROOT]})
    directory.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        (stage / DATA_FILE).parent.mkdir(parents=True)
        (stage / DATA_FILE).write_bytes(data)
        (stage / bundle.MANIFEST).write_bytes(manifest)
        if directory.exists():
            shutil.rmtree(directory)
        stage.rename(directory)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return SettingsBundle(directory, revision)
