#!/usr/bin/env bash
# Generate the Go stubs of the example client with buf (buf.gen.yaml) and the
# pinned plugins in .tools/bin, or with --check fail when the committed stubs
# differ from freshly generated ones.
set -euo pipefail
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
buf=${BUF:-.tools/bin/buf}
dest=examples/go-client/gen

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$buf" generate --output "$work"

if (( check )); then
  if ! diff -r "$work/$dest" "$dest" >/dev/null; then
    echo "generated Go stubs in $dest are stale: run 'make proto'" >&2
    diff -r "$work/$dest" "$dest" | head -20 >&2 || true
    exit 1
  fi
  echo "generated Go stubs are current"
else
  rm -rf "$dest"
  cp -r "$work/$dest" "$dest"
  echo "wrote Go stubs to $dest"
fi
