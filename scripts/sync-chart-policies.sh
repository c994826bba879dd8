#!/usr/bin/env bash
# Copy the policy files OPA serves from policies/ into the Helm chart
# (helm/vir-sidecar/files/policies), or with --check exit 1 when the chart's
# copy differs from policies/.
#
# Only served files are copied, by the same rule as sidecar/policy_bundle.py:
# .rego, .json, .yaml, .yml and .manifest files, except *_test.rego and
# anything under a scenarios/ directory. Tests and scenario tables stay out of
# the chart, so a test-only change neither grows the ConfigMap nor rolls pods.
#
# The chart stores each file under a ConfigMap key made from its path with
# "/" written as "__", so path segments must not contain "__" and may use only
# the characters a ConfigMap key allows.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case ${1:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

src=policies
dest=helm/vir-sidecar/files/policies

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count=0
while IFS= read -r -d '' file; do
  rel=${file#"$src"/}
  case /$rel in
    */scenarios/*) continue ;;
  esac
  case $rel in
    *_test.rego) continue ;;
    *.rego | *.json | *.yaml | *.yml | .manifest | */.manifest) ;;
    *) continue ;;
  esac
  if [[ ! $rel =~ ^[A-Za-z0-9._/-]+$ || $rel == *__* ]]; then
    echo "cannot package $src/$rel: a ConfigMap key allows only [A-Za-z0-9._-]," \
      "and '__' stands for '/'" >&2
    exit 1
  fi
  key=${rel//\//__}
  if ((${#key} > 253)); then
    echo "cannot package $src/$rel: its ConfigMap key would be longer than 253 characters" >&2
    exit 1
  fi
  mkdir -p "$work/$(dirname "$rel")"
  cp "$file" "$work/$rel"
  count=$((count + 1))
done < <(find "$src" -type f -print0 | sort -z)

if ((count == 0)); then
  echo "no served policy files under $src" >&2
  exit 1
fi

if ((check)); then
  if [[ ! -d $dest ]] || ! diff -r "$work" "$dest" >/dev/null; then
    echo "the chart's policies in $dest differ from $src: run scripts/sync-chart-policies.sh" >&2
    if [[ -d $dest ]]; then
      diff -r "$work" "$dest" | head -20 >&2 || true
    fi
    exit 1
  fi
  echo "chart policies are current ($count files)"
else
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -r "$work" "$dest"
  echo "wrote $count policy files to $dest"
fi
