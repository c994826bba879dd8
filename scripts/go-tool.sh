#!/usr/bin/env bash
# Build a pinned Go tool into .tools/bin unless the binary there was already
# built from the wanted module version (read from its embedded build info).
# usage: go-tool.sh BINARY MODULE VERSION PACKAGE
set -euo pipefail
binary=$1 module=$2 version=$3 package=$4

built_version() {
  go version -m "$binary" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

if ! command -v go >/dev/null; then
  echo "go is required to build $(basename "$binary") $version" >&2
  exit 1
fi
if [[ -x $binary && $(built_version) == "$version" ]]; then
  exit 0
fi
echo "building $(basename "$binary") $version from $module (first run only; takes a few minutes)" >&2
mkdir -p "$(dirname "$binary")"
GOBIN=$(cd "$(dirname "$binary")" && pwd) GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
  go install "$package@$version"
if [[ $(built_version) != "$version" ]]; then
  echo "$binary was not built from $module $version" >&2
  exit 1
fi
