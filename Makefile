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
HELM_DOCS_VERSION := v1.14.2
# The Go code generators; protoc-gen-go comes with the protobuf-go the client pins.
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GHZ_VERSION := v0.121.0
VEGETA_VERSION := v12.13.0

OPA := $(TOOLS)/opa
HELM := $(TOOLS)/helm
BUF := $(TOOLS)/buf
PROMTOOL := $(TOOLS)/promtool
HELM_DOCS := $(TOOLS)/helm-docs
CHART := helm/vir-sidecar
CHART_VERSION = $(shell awk '$$1 == "version:" { print $$2 }' $(CHART)/Chart.yaml)
PROTOC_GEN_GO := $(TOOLS)/protoc-gen-go
PROTOC_GEN_GO_GRPC := $(TOOLS)/protoc-gen-go-grpc
# The Go client builds with the machine's toolchain and the versions pinned in its go.mod/go.sum.
GO_LOCAL := GOTOOLCHAIN=local go
GO_CLIENT_DIR := examples/go-client
GO_CLIENT := build/vir-go-client
DESCRIPTOR_SET := build/vir-authz-v1.binpb
GHZ := $(TOOLS)/ghz
VEGETA := $(TOOLS)/vegeta
export PATH := $(TOOLS):$(CURDIR)/$(BIN):$(PATH)
export VIR_OPA_BINARY := $(OPA)

GENERATED := sidecar/_generated
PY_SOURCES := sidecar devtools tests integration_tests helm/tests bench conftest.py
PROTO := proto/vir/authz/v1/authz_service.proto

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# --- bootstrap -------------------------------------------------------------

.PHONY: tools
tools: ## Build the pinned opa, helm, buf, helm-docs and protoc-gen-go* binaries into .tools/bin
	@scripts/go-tool.sh $(OPA) github.com/open-policy-agent/opa $(OPA_VERSION) github.com/open-policy-agent/opa
	@scripts/go-tool.sh $(HELM) helm.sh/helm/v3 $(HELM_VERSION) helm.sh/helm/v3/cmd/helm
	@scripts/go-tool.sh $(BUF) github.com/bufbuild/buf $(BUF_VERSION) github.com/bufbuild/buf/cmd/buf
	@scripts/go-tool.sh $(HELM_DOCS) github.com/norwoodj/helm-docs $(HELM_DOCS_VERSION) github.com/norwoodj/helm-docs/cmd/helm-docs
	@scripts/go-tool.sh $(PROTOC_GEN_GO) google.golang.org/protobuf $(PROTOC_GEN_GO_VERSION) google.golang.org/protobuf/cmd/protoc-gen-go
	@scripts/go-tool.sh $(PROTOC_GEN_GO_GRPC) google.golang.org/grpc/cmd/protoc-gen-go-grpc $(PROTOC_GEN_GO_GRPC_VERSION) google.golang.org/grpc/cmd/protoc-gen-go-grpc

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
proto: venv tools ## Regenerate the Python and Go stubs from proto/
	scripts/gen-proto.sh $(GENERATED)
	BUF=$(BUF) scripts/gen-go.sh

.PHONY: descriptors
descriptors: tools ## Write the API's descriptor set, with imports and comments, for publishing
	@mkdir -p $(dir $(DESCRIPTOR_SET))
	$(BUF) build --as-file-descriptor-set -o $(DESCRIPTOR_SET)
	@echo "wrote $(DESCRIPTOR_SET)"

.PHONY: go-client
go-client: ## Build the example Go client into build/vir-go-client
	cd $(GO_CLIENT_DIR) && $(GO_LOCAL) build -o $(CURDIR)/$(GO_CLIENT) .

# --- build -----------------------------------------------------------------

BUNDLE := build/vir-policy.tar.gz

.PHONY: bundle
bundle: venv tools ## Build build/vir-policy.tar.gz from policies/; SIGNING_KEY=key.pem signs it
	$(BIN)/vir-sidecar bundle build --policy-dir policies --out $(BUNDLE) \
		$(if $(SIGNING_KEY),--signing-key $(SIGNING_KEY)) \
		$(if $(SIGNING_ALG),--signing-alg $(SIGNING_ALG)) \
		$(if $(SIGNING_KEY_ID),--signing-key-id $(SIGNING_KEY_ID))

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
	$(BIN)/mypy --strict helm/tests
	$(BUF) lint
	scripts/gen-proto.sh --check $(GENERATED)
	BUF=$(BUF) scripts/gen-go.sh --check
	test -z "$$(gofmt -l $(GO_CLIENT_DIR))" || { gofmt -l $(GO_CLIENT_DIR); exit 1; }
	cd $(GO_CLIENT_DIR) && $(GO_LOCAL) vet ./...
	$(OPA) fmt --list --fail policies
	$(OPA) check --strict --v1-compatible --bundle policies

.PHONY: policy-test
policy-test: tools ## opa test with coverage of every rule
	$(OPA) test --bundle policies --explain=fails --timeout 120s
	$(BIN)/python -m devtools.coverage_gate policies
	$(BIN)/python -m devtools.scenario_runner --policy-dir policies --quiet
	$(BIN)/python -m devtools.decision_table --check

.PHONY: scenarios
scenarios: venv tools ## Each policy scenario on its own line, passed or failed, with what was expected and what came
	$(BIN)/python -m devtools.scenario_runner --policy-dir policies

.PHONY: decision-table
decision-table: venv tools ## Regenerate docs/decision-table.md from the scenario tables and the policy (commit it)
	$(BIN)/python -m devtools.decision_table --policy-dir policies --out docs/decision-table.md

.PHONY: unit-test
unit-test: venv ## Python unit tests
	$(BIN)/pytest tests -q

.PHONY: integration-test
integration-test: venv tools ## Real OPA and sidecar processes over gRPC
	$(BIN)/pytest integration_tests -q --ignore=integration_tests/promtool

.PHONY: metrics-lint
metrics-lint: venv tools ## Build promtool (slow: ~9 min cold); `promtool check metrics` on live /metrics, `check rules` on the chart's alerts
	@scripts/go-tool.sh $(PROMTOOL) github.com/prometheus/prometheus $(PROMETHEUS_VERSION) github.com/prometheus/prometheus/cmd/promtool
	VIR_PROMTOOL_BINARY=$(PROMTOOL) VIR_HELM_BINARY=$(HELM) $(BIN)/pytest integration_tests/promtool -q

CHART_BUNDLE := $(CHART)/files/vir-policy.tar.gz
SETTINGS_DEFAULTS := policies/vir/config/data.yaml
CHART_SETTINGS_DEFAULTS := $(CHART)/files/vir-settings-defaults.yaml

.PHONY: chart-bundle
chart-bundle: venv tools ## Build the chart's policy bundle and copy its settings defaults from policies/ (commit both)
	$(BIN)/vir-sidecar bundle build --policy-dir policies --out $(CHART_BUNDLE)
	cp $(SETTINGS_DEFAULTS) $(CHART_SETTINGS_DEFAULTS)

.PHONY: chart-bundle-check
chart-bundle-check: venv tools ## Fail when the chart's bundle or settings defaults are not those of policies/
	@mkdir -p build
	@$(BIN)/vir-sidecar bundle build --policy-dir policies --out build/chart-bundle-check.tar.gz >/dev/null
	@cmp -s build/chart-bundle-check.tar.gz $(CHART_BUNDLE) || \
	  { echo "$(CHART_BUNDLE) is stale or missing: run make chart-bundle and commit it" >&2; exit 1; }
	@cmp -s $(SETTINGS_DEFAULTS) $(CHART_SETTINGS_DEFAULTS) || \
	  { echo "$(CHART_SETTINGS_DEFAULTS) is stale or missing: run make chart-bundle and commit it" >&2; exit 1; }

.PHONY: chart-docs
chart-docs: tools ## Generate helm/vir-sidecar/README.md from values.yaml comments (helm-docs)
	scripts/chart-docs.sh $(HELM_DOCS)

.PHONY: chart-test
chart-test: venv tools chart-bundle-check ## helm lint, rendered manifests against the Kubernetes schemas, image checks
	scripts/chart-docs.sh $(HELM_DOCS) --check
	VIR_HELM_BINARY=$(HELM) $(BIN)/pytest helm/tests -q

.PHONY: chart-package
chart-package: tools chart-bundle-check ## Package the chart as build/vir-sidecar-<version>.tgz, ready for `helm push`
	scripts/chart-docs.sh $(HELM_DOCS) --check
	mkdir -p build
	$(HELM) package $(CHART) --destination build
	$(HELM) lint --strict build/vir-sidecar-$(CHART_VERSION).tgz \
	  --values $(CHART)/ci/production-values.yaml --kube-version 1.33.0
	@echo "push with: helm push build/vir-sidecar-$(CHART_VERSION).tgz oci://<registry>/charts"

.PHONY: bench
bench: venv tools bench-tools ## Latency, throughput and CPU cost against direct OPA (about 4 min)
	$(BIN)/python -m bench.run

.PHONY: bench-quick
bench-quick: venv tools bench-tools ## The benchmark as a smoke test of under a minute; goals not judged
	$(BIN)/python -m bench.run --quick

.PHONY: bench-policy
bench-policy: venv tools ## opa bench on the example requests: µs and allocations per policy evaluation
	$(BIN)/python -m bench.policy_bench

.PHONY: bench-report
bench-report: venv tools ## A year of audit (~1M records, 4 trails) verified and reported: goal < 60 s
	$(BIN)/python -m bench.audit_report_bench

.PHONY: example-report
example-report: venv tools ## Regenerate docs/example-audit-report.html from real checks
	$(BIN)/python -m bench.example_audit_report docs/example-audit-report.html

.PHONY: bench-health
bench-health: venv tools ## Seconds for health to turn NOT_SERVING on a frozen audit disk or a stopped OPA (root)
	$(BIN)/python -m bench.health_faults

.PHONY: fuzz
fuzz: venv tools ## Property tests with ten times the examples, freshly randomised
	VIR_PROPERTY_SCALE=10 VIR_PROPERTY_RANDOM=1 $(BIN)/pytest integration_tests/test_properties.py -q

# A deny is an answer, not a failure: make succeeds and says so. Errors (exit 2) still fail.
.PHONY: explain
explain: venv tools ## Explain one decision: make explain REQUEST=file.json or SCENARIO=name [TIME=...] [CALLER=...]
	@status=0; $(BIN)/vir-sidecar explain \
	  $(if $(SCENARIO),--scenario '$(SCENARIO)',--request '$(REQUEST)') \
	  $(if $(TIME),--time '$(TIME)') $(if $(CALLER),--caller '$(CALLER)') || status=$$?; \
	if (( status == 1 )); then echo "(vir-sidecar explain exited 1: denied)"; fi; \
	exit $$(( status == 1 ? 0 : status ))

.PHONY: clean
clean: ## Remove build products (keeps .tools and .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
