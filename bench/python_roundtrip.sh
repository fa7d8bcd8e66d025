#!/usr/bin/env bash
# Builds the macsql Python package (release) into bench/.venv next to the pinned peers and runs
# bench/python_roundtrip.py:   bench/python_roundtrip.sh [--rows N] [--repeats R]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
fi
# The release wheel, built into its own target folder (tests keep target/).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench-release}"
"$venv/bin/python" -m pip install --quiet "maturin>=1.16,<2" "pyarrow>=15"
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python
exec "$venv/bin/python" "$here/python_roundtrip.py" "$@"
