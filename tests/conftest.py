from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format

from sidecar.api import pb

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def allowed_request() -> pb.CheckRequest:
    """The example counselling request that the policy allows."""
    text = (EXAMPLES / "counselling-allowed.json").read_text(encoding="utf-8")
    return json_format.Parse(text, pb.CheckRequest())
