#!/usr/bin/env bash
# Generate the Python stubs for proto/ into the given directory, or with
# --check fail when the committed stubs differ from freshly generated ones.
set -euo pipefail
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
dest=$1
python=${PYTHON_BIN:-.venv/bin/python}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m grpc_tools.protoc -Iproto \
  --python_out="$work" --pyi_out="$work" --grpc_python_out="$work" \
  $(find proto -name '*.proto' | sort)
# protoc writes absolute imports of the proto package; make them package-relative.
find "$work" -name '*_grpc.py' -exec sed -i 's/^from vir\.authz\.v1 import/from sidecar._generated.vir.authz.v1 import/' {} +
for d in "$work" "$work/vir" "$work/vir/authz" "$work/vir/authz/v1"; do
  : > "$d/__init__.py"
done

if (( check )); then
  if ! diff -r -x __pycache__ "$work" "$dest" >/dev/null; then
    echo "generated stubs in $dest are stale: run 'make proto'" >&2
    diff -r -x __pycache__ "$work" "$dest" | head -20 >&2 || true
    exit 1
  fi
  echo "generated stubs are current"
else
  rm -rf "$dest"
  cp -r "$work" "$dest"
  echo "wrote stubs to $dest"
fi
