#!/usr/bin/env bash
# Generate the chart's README.md from README.md.gotmpl and the `# --` comments
# in values.yaml with helm-docs, or with --check exit 1 when README.md is not
# what helm-docs would generate.
# usage: chart-docs.sh HELM_DOCS [--check]
set -euo pipefail
helm_docs=$(realpath "$1")
cd "$(dirname "$0")/../helm/vir-sidecar"

check=0
case ${2:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 HELM_DOCS [--check]" >&2; exit 2 ;;
esac

args=(--chart-search-root . --skip-version-footer --sort-values-order file --log-level warning)
if ((check)); then
  if ! diff -u README.md <("$helm_docs" "${args[@]}" --dry-run); then
    echo "helm/vir-sidecar/README.md is stale: run \`make chart-docs\`" >&2
    exit 1
  fi
else
  "$helm_docs" "${args[@]}"
fi
