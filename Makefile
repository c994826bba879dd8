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
PROMETHEUS_VERSION := v0.316.0
GHZ_VERSION := v0.121.0
VEGETA_VERSION := v12.13.0

OPA := $(TOOLS)/opa
HELM := $(TOOLS)/helm
BUF := $(TOOLS)/buf
PROMTOOL := $(TOOLS)/promtool
GHZ := $(TOOLS)/ghz
VEGETA := $(TOOLS)/vegeta
export PATH := $(TOOLS):$(CURDIR)/$(BIN):$(PATH)
export VIR_OPA_BINARY := $(OPA)

GENERATED := sidecar/_generated
PY_SOURCES := sidecar tests integration_tests helm/tests helm/vir-sidecar/files bench conftest.py
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

.PHONY: bench-tools
bench-tools: ## Build the pinned load generators ghz (gRPC) and vegeta (HTTP) into .tools/bin
	@scripts/go-tool.sh $(GHZ) github.com/bojand/ghz $(GHZ_VERSION) github.com/bojand/ghz/cmd/ghz
	@scripts/go-tool.sh $(VEGETA) github.com/tsenart/vegeta/v12 $(VEGETA_VERSION) github.com/tsenart/vegeta/v12

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
	( echo '# Pinned Python dependencies of vir-sidecar and its tests; regenerate with `make lock`.'; \
	  .lock-venv/bin/pip freeze --exclude vir-sidecar --all | grep -v '^pip==' ) > requirements.lock
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -c requirements.lock .
	( echo '# Pinned runtime dependencies (the container image); regenerate with `make lock`.'; \
	  .lock-venv/bin/pip freeze --exclude vir-sidecar ) > requirements-runtime.lock
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
test: venv tools lint policy-test unit-test integration-test chart-test ## Run every check
	@echo "all checks passed"

.PHONY: lint
lint: venv tools ## ruff, mypy, buf lint, opa fmt/check and stub freshness
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy
	$(BIN)/mypy --strict helm/tests helm/vir-sidecar/files/grpc_health_probe.py
	$(BUF) lint
	scripts/gen-proto.sh --check $(GENERATED)
	$(OPA) fmt --list --fail policies
	$(OPA) check --strict --v1-compatible --bundle policies

.PHONY: policy-test
policy-test: tools ## opa test with coverage of every rule
	$(OPA) test --bundle policies --explain=fails --timeout 120s
	$(BIN)/python -m sidecar.devtools.coverage_gate policies

.PHONY: unit-test
unit-test: venv ## Python unit tests
	$(BIN)/pytest tests -q

.PHONY: integration-test
integration-test: venv tools ## Real OPA and sidecar processes over gRPC
	$(BIN)/pytest integration_tests -q --ignore=integration_tests/promtool

.PHONY: metrics-lint
metrics-lint: venv tools ## Build promtool (slow: ~9 min cold) and run `promtool check metrics` on live /metrics
	@scripts/go-tool.sh $(PROMTOOL) github.com/prometheus/prometheus $(PROMETHEUS_VERSION) github.com/prometheus/prometheus/cmd/promtool
	VIR_PROMTOOL_BINARY=$(PROMTOOL) $(BIN)/pytest integration_tests/promtool -q

.PHONY: chart-policies
chart-policies: ## Copy the served policies into the Helm chart
	scripts/sync-chart-policies.sh

.PHONY: chart-test
chart-test: venv tools ## helm lint, rendered manifests against the Kubernetes schemas, image checks
	scripts/sync-chart-policies.sh --check
	VIR_HELM_BINARY=$(HELM) $(BIN)/pytest helm/tests -q

.PHONY: bench
bench: venv tools bench-tools ## Latency, throughput and CPU cost against direct OPA (about 4 min)
	$(BIN)/python -m bench.run

.PHONY: bench-quick
bench-quick: venv tools bench-tools ## The benchmark as a smoke test of under a minute; goals not judged
	$(BIN)/python -m bench.run --quick

.PHONY: fuzz
fuzz: venv tools ## Property tests with ten times the examples, freshly randomised
	VIR_PROPERTY_SCALE=10 VIR_PROPERTY_RANDOM=1 $(BIN)/pytest integration_tests/test_properties.py -q

.PHONY: explain
explain: venv tools ## Explain one request: make explain REQUEST=examples/counselling-allowed.json
	@$(BIN)/vir-sidecar explain --request $(REQUEST)

.PHONY: clean
clean: ## Remove build products (keeps .tools and .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
