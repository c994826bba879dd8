from pathlib import Path

import pytest


@pytest.fixture
def trail_dir(tmp_path: Path) -> Path:
    return tmp_path / "audit"
