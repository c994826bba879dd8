"""The error families: every startup error ends `serve` with a message, not a traceback."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import pytest

import sidecar
from sidecar import errors, server


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(sidecar.__path__, prefix="sidecar."):
        if not module.name.startswith("sidecar._generated") and not module.name.endswith(
            "__main__"
        ):
            importlib.import_module(module.name)


def _descendants(base: type[BaseException]) -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for child in base.__subclasses__():
        found |= {child} | _descendants(child)
    return found


def _drawn(family: str) -> set[str]:
    """The class names drawn under `family` in the errors module's docstring."""
    assert errors.__doc__ is not None
    lines = errors.__doc__.splitlines()
    (start,) = [i for i, line in enumerate(lines) if re.search(rf"── {family}\b", line)]
    indent = lines[start].index(family)
    names: set[str] = set()
    for line in lines[start + 1 :]:
        match = re.search(r"── (\w+)", line)
        if match is None or match.start(1) <= indent:
            break
        names.add(match.group(1))
    return names


def _fail_with(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    async def failing_serve(config: Any) -> None:
        raise error

    monkeypatch.setattr(server, "serve", failing_serve)


@pytest.mark.parametrize("family", ["StartupError", "UnavailableError"])
def test_the_drawing_names_every_member_of_the_family(family: str) -> None:
    _import_every_module()
    members = {cls.__name__ for cls in _descendants(getattr(errors, family))}
    assert members == _drawn(family)


def test_every_startup_error_ends_serve_with_status_1(monkeypatch: pytest.MonkeyPatch) -> None:
    _import_every_module()
    startup_errors = _descendants(errors.StartupError)
    assert len(startup_errors) >= 6
    for cls in startup_errors:
        _fail_with(monkeypatch, cls("cannot start"))
        assert server.run(None) == 1, cls  # type: ignore[arg-type]


def test_a_new_startup_error_is_caught_without_listing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class BrandNewStartupError(errors.StartupError):
        pass

    _fail_with(monkeypatch, BrandNewStartupError("cannot start"))
    assert server.run(None) == 1  # type: ignore[arg-type]


def test_an_unexpected_error_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_with(monkeypatch, KeyError("bug"))
    with pytest.raises(KeyError):
        server.run(None)  # type: ignore[arg-type]


def test_the_families_are_apart() -> None:
    _import_every_module()
    assert not _descendants(errors.StartupError) & _descendants(errors.UnavailableError)
