# vir-sidecar: `make run` starts the sidecar, `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin

OPA_VERSION := v1.22.3
HELM_VERSION := v3.22.0
BUF_VERSION := v1.75.0

OPA := $(TOOLS)/opa
HELM := $(TOOLS)/helm
BUF := $(TOOLS)/buf
export PATH := $(TOOLS):$(CURDIR)/$(BIN):$(PATH)
export VIR_OPA_BINARY := $(OPA)

GENERATED := sidecar/_generated
PROTO := proto/vir/authz/v1/authz_service.proto

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# --- bootstrap -------------------------------------------------------------

.PHONY: tools
tools: ## Build the pinned opa, helm and buf binaries into .tools/bin
	@scripts/go-tool.sh $(OPA) github.com/open-policy-agent/opa $(OPA_VERSION) github.com/open-policy-agent/opa
	@scripts/go-tool.sh $(HELM) helm.sh/helm/v3 $(HELM_VERSION) helm.sh/helm/v3/cmd/helm
	@scripts/go-tool.sh $(BUF) github.com/bufbuild/buf $(BUF_VERSION) github.com/bufbuild/buf/cmd/buf

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create .venv with the pinned Python dependencies

.PHONY: lock
lock: ## Re-pin every Python dependency into requirements.lock
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]' setuptools==84.2.1
	.lock-venv/bin/pip freeze --exclude vir-sidecar --all | grep -v '^pip==' > requirements.lock
	rm -rf .lock-venv

# --- code generation -------------------------------------------------------

.PHONY: proto
proto: venv ## Regenerate the Python stubs from proto/
	scripts/gen-proto.sh $(GENERATED)

# --- run -------------------------------------------------------------------

.PHONY: run
run: venv tools ## Start the sidecar with its own OPA, policies, audit and metrics
	$(BIN)/vir-sidecar serve --dev

# --- checks ----------------------------------------------------------------

.PHONY: test
test: venv tools lint policy-test unit-test integration-test ## Run every check
	@echo "all checks passed"

.PHONY: lint
lint: venv tools ## ruff, mypy, buf lint, opa fmt/check and stub freshness
	$(BIN)/ruff check sidecar tests integration_tests conftest.py
	$(BIN)/ruff format --check sidecar tests integration_tests conftest.py
	$(BIN)/mypy
	$(BUF) lint
	scripts/gen-proto.sh --check $(GENERATED)
	$(OPA) fmt --list --fail policies
	$(OPA) check --strict --v1-compatible --bundle policies

.PHONY: policy-test
policy-test: tools ## opa test with coverage of every rule
	$(OPA) test --bundle policies --explain=fails
	$(BIN)/python -m sidecar.devtools.coverage_gate policies

.PHONY: unit-test
unit-test: venv ## Python unit tests
	$(BIN)/pytest tests -q

.PHONY: integration-test
integration-test: venv tools ## Real OPA and sidecar processes over gRPC
	$(BIN)/pytest integration_tests -q

.PHONY: explain
explain: venv tools ## Explain one request: make explain REQUEST=examples/counselling-allowed.json
	@$(BIN)/vir-sidecar explain --request $(REQUEST)

.PHONY: clean
clean: ## Remove build products (keeps .tools and .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
