"""Project-wide pytest policy: a skipped test is a failure, never a silent pass."""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"{skipped} test(s) skipped: skips are failures here", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
