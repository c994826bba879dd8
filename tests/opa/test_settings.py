"""A force's settings file, merged over the defaults and written as the settings bundle."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from sidecar.opa import settings
from sidecar.opa.settings import SettingsError

DEFAULTS = {
    "allowed_callers": [],
    "categories": {
        "RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "chief_inspector"},
        "RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": None},
    },
    "ranks": {"temporary_rank_counts": True, "aliases": {"dc": "constable"}},
    "maximum_clearance_days": 90,
    "broad_request_terms": ["all", "any"],
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_file_is_read_as_a_mapping(tmp_path: Path) -> None:
    force = _write(
        tmp_path / "force.yaml",
        "allowed_callers: [records-system]\nstarted: 2026-01-12\nacting: yes\n",
    )
    assert settings.load_file(force) == {
        "allowed_callers": ["records-system"],
        "started": "2026-01-12",  # a date stays text, as Helm reads it
        "acting": True,
    }


def test_a_json_file_is_read_as_json(tmp_path: Path) -> None:
    force = _write(tmp_path / "force.json", '{"maximum_clearance_days": 30}')
    assert settings.load_file(force) == {"maximum_clearance_days": 30}


def test_an_empty_file_changes_nothing(tmp_path: Path) -> None:
    force = _write(tmp_path / "force.yaml", "# nothing yet\n")
    assert settings.effective(DEFAULTS, force) == DEFAULTS


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("force.yaml", "- allowed_callers\n", "must be a mapping of setting names to values"),
        ("force.yaml", "allowed_callers: [unclosed\n", "is not valid YAML"),
        ("force.json", "{'single': 'quotes'}", "is not valid JSON"),
        ("force.json", "[1]", "not list"),
    ],
)
def test_a_file_that_is_not_a_mapping_of_settings_is_refused(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        settings.load_file(_write(tmp_path / name, text))


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"cannot read the settings file .*missing\.yaml"):
        settings.load_file(tmp_path / "missing.yaml")


def test_mappings_merge_key_by_key_and_anything_else_replaces() -> None:
    merged = settings.merge(
        DEFAULTS,
        {
            "allowed_callers": ["records-system"],
            "categories": {
                "RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"}
            },
            "ranks": {"temporary_rank_counts": False, "aliases": {"dci": "chief_inspector"}},
            "broad_request_terms": ["every"],
            "maximum_clearance_days": None,
        },
    )
    assert merged == {
        "allowed_callers": ["records-system"],
        "categories": {
            "RECORD_CATEGORY_COUNSELLING": {"minimum_clearance_rank": "superintendent"},
            "RECORD_CATEGORY_MEDICAL": {"minimum_clearance_rank": None},
        },
        "ranks": {
            "temporary_rank_counts": False,
            "aliases": {"dc": "constable", "dci": "chief_inspector"},
        },
        "maximum_clearance_days": None,
        "broad_request_terms": ["every"],
    }
    assert DEFAULTS["ranks"] == {"temporary_rank_counts": True, "aliases": {"dc": "constable"}}


def test_a_mapping_and_a_scalar_replace_each_other() -> None:
    assert settings.merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
    assert settings.merge({"a": 2}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert settings.merge({"a": {"b": 1}}, {"a": {}}) == {"a": {"b": 1}}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ({"b": 1, "a": [True, False, None]}, '{"a":[true,false,null],"b":1}'),
        ({"é": "<Police & Crime>"}, '{"é":"\\u003cPolice \\u0026 Crime\\u003e"}'),
        ('tab\tline\nquote"back\\slash', '"tab\\tline\\nquote\\"back\\\\slash"'),
        ("\x01\x7f\u2028\u2029", '"\\u0001\x7f\\u2028\\u2029"'),
        ("\ud800", '"\ufffd"'),
        ({1: "a", False: "b", None: "c"}, '{"1":"a","false":"b","null":"c"}'),
        ([90, 90.0, 0.5, 1.5e-05, -0.0, 1e21, 1.5e-07, 2**53 + 1], None),
    ],
)
def test_json_is_written_as_helms_to_json_writes_it(value: object, written: str | None) -> None:
    if written is None:
        written = "[90,90,0.5,0.000015,-0,1e+21,1.5e-7,9007199254740992]"
    assert settings.canonical_json(value) == written.encode("utf-8")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"a": object()}, {(1, 2): "a"}])
def test_what_json_cannot_hold_is_refused(value: object) -> None:
    with pytest.raises(SettingsError):
        settings.canonical_json(value)


def test_the_bundle_holds_the_settings_at_vir_config_named_by_their_digest(tmp_path: Path) -> None:
    built = settings.write_bundle(DEFAULTS, tmp_path / "vir-settings")
    data = (built.path / "vir" / "config" / "data.json").read_bytes()
    assert json.loads(data) == DEFAULTS
    assert data == settings.canonical_json(DEFAULTS)
    assert built.revision == "sha256:" + hashlib.sha256(data).hexdigest()
    manifest = json.loads((built.path / ".manifest").read_text())
    assert manifest == {"revision": built.revision, "roots": ["vir/config"]}
    assert sorted(p.relative_to(built.path).as_posix() for p in built.path.rglob("*")) == [
        ".manifest",
        "vir",
        "vir/config",
        "vir/config/data.json",
    ]


def test_the_bundle_is_replaced_whole(tmp_path: Path) -> None:
    first = settings.write_bundle(DEFAULTS, tmp_path / "vir-settings")
    (first.path / "vir" / "stray.json").write_text("{}")
    second = settings.write_bundle({**DEFAULTS, "allowed_callers": ["x"]}, first.path)
    assert second.revision != first.revision
    assert not (second.path / "vir" / "stray.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["vir-settings"]


def _tarball(path: Path, data: object) -> Path:
    content = json.dumps(data).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("/data.json")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return path


def test_the_defaults_come_from_vir_defaults_of_the_rules_bundle(tmp_path: Path) -> None:
    rules = _tarball(tmp_path / "rules.tar.gz", {"vir": {"defaults": DEFAULTS}})
    assert settings.defaults_of_bundle(rules) == DEFAULTS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"vir": {"config": DEFAULTS}}, "carries no settings defaults at data.vir.defaults"),
        ({"vir": {"defaults": ["x"]}}, "the settings defaults are not a mapping"),
    ],
)
def test_a_rules_bundle_without_defaults_is_refused(
    tmp_path: Path, data: object, message: str
) -> None:
    rules = _tarball(tmp_path / "rules.tar.gz", data)
    with pytest.raises(SettingsError, match=message):
        settings.defaults_of_bundle(rules)
