import argparse
from pathlib import Path

import orjson
import pytest

from sidecar.audit import add_verify_arguments, run_verify, verify_main

from .helpers import KEY, OTHER_KEY, read_lines, write_lines, write_trail


@pytest.fixture
async def trail(trail_dir: Path) -> Path:
    await write_trail(trail_dir, 5, max_file_bytes=600)
    return trail_dir


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.key"
    path.write_text(KEY.hex() + "\n")
    return path


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIR_AUDIT_KEY", raising=False)


def test_intact_trail_exits_0(
    trail: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify_main(["--key-file", str(key_file), str(trail)]) == 0

    files = len(list(trail.glob("audit-*.jsonl")))
    assert capsys.readouterr().out == f"ok: 5 records in {files} files, chain intact\n"


def test_key_from_the_environment(
    trail: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VIR_AUDIT_KEY", KEY.hex())

    assert verify_main([str(trail)]) == 0
    assert capsys.readouterr().out.startswith("ok: 5 records")


def test_tampered_trail_exits_1_naming_file_and_line(
    trail: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = trail / "audit-000001.jsonl"
    lines = read_lines(first)
    lines[1] = lines[1].replace(b'"allow"', b'"deny"')
    write_lines(first, lines)

    assert verify_main(["--key-file", str(key_file), str(trail)]) == 1
    assert capsys.readouterr().out.startswith(f"FAIL: {first}:2: MAC mismatch")


def test_wrong_key_exits_1(trail: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    other.write_text(OTHER_KEY.hex())

    assert verify_main(["--key-file", str(other), str(trail)]) == 1


def test_partial_trail_needs_the_partial_flag(trail: Path, key_file: Path) -> None:
    (trail / "audit-000001.jsonl").unlink()

    assert verify_main(["--key-file", str(key_file), str(trail)]) == 1
    assert verify_main(["--key-file", str(key_file), "--partial", str(trail)]) == 0


def test_anchor_mac(trail: Path, key_file: Path) -> None:
    last_file = sorted(trail.glob("audit-*.jsonl"))[-1]
    anchor = orjson.loads(read_lines(last_file)[-1])["mac"]
    arguments = ["--key-file", str(key_file), "--anchor-mac", anchor, str(trail)]

    assert verify_main(arguments) == 0
    write_lines(last_file, read_lines(last_file)[:-1])
    assert verify_main(arguments) == 1


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--no-such-option", "x"],
        ["--key-file", "{missing}", "{trail}"],
        ["--key-file", "{short}", "{trail}"],
        ["{trail}"],
        ["--key-file", "{key}", "{missing}"],
        ["--key-file", "{key}", "--anchor-mac", "not-a-mac", "{trail}"],
    ],
)
def test_usage_errors_exit_2(
    arguments: list[str],
    trail: Path,
    key_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = tmp_path / "short.key"
    short.write_text("abcd")
    values = {
        "trail": trail,
        "key": key_file,
        "short": short,
        "missing": tmp_path / "missing",
    }

    assert verify_main([argument.format(**values) for argument in arguments]) == 2
    assert capsys.readouterr().out == ""


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_main(["--help"]) == 0
    assert "vir-sidecar audit verify" in capsys.readouterr().out


def test_plugs_into_a_subcommand_parser(trail: Path, key_file: Path) -> None:
    parser = argparse.ArgumentParser(prog="vir-sidecar")
    commands = parser.add_subparsers(dest="command", required=True)
    audit = commands.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    add_verify_arguments(audit.add_parser("verify"))

    args = parser.parse_args(["audit", "verify", "--key-file", str(key_file), str(trail)])

    assert run_verify(args) == 0
