"""Fixtures of the chart tests: the real helm, helm-docs and opa binaries; a missing one fails
the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from chartlib import Helm, helm_binary, helm_docs_binary, opa_binary, require_binary
from testpki import Pki, make_pki


@pytest.fixture(scope="session")
def helm() -> Helm:
    return Helm(require_binary(helm_binary(), "VIR_HELM_BINARY"))


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def opa() -> Path:
    return require_binary(opa_binary(), "VIR_OPA_BINARY")


@pytest.fixture(scope="session")
def helm_docs() -> Path:
    return require_binary(helm_docs_binary(), "VIR_HELM_DOCS_BINARY")
