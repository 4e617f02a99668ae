#!/usr/bin/env bash
# Fill the wheel folder that benchmarks/gpu_check.sh installs from on a machine without a package
# index: envtool's own pure-Python dependencies (torch, transformers and nvidia-ml-py are already
# on the GPU machine; nvidia-ml-py is added anyway, it is pure Python and small).
#
#   benchmarks/gpu_wheels.sh [FOLDER]      # default <checkout>/gpu-wheels
#
# Runs where the index is reachable, with this machine's pip config. Wheels only (no source
# builds on the far side); psutil's abi3 wheel serves every CPython >= 3.6 on x86-64 Linux.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/gpu-wheels}"
PY="${PYTHON:-python3}"
mkdir -p "$DEST"
for version in 3.10 3.11 3.12 3.13; do
    "$PY" -m pip download -q --dest "$DEST" --only-binary=:all: --platform manylinux2014_x86_64 \
        --implementation cp --python-version "$version" \
        "rich>=13" "psutil>=5.9" "packaging>=23" "nvidia-ml-py>=12.535" "tomli>=2"
done
ls -1 "$DEST"
