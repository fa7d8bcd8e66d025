#!/usr/bin/env bash
# Builds the macsql Python package into python/.venv (a development build: `maturin develop`,
# the dev profile, reusing target/ of `cargo build`) and runs its tests and the notebook example.
#
#   python/test.sh                 # the tests (pytest python/tests) and examples/notebook.py
#   python/test.sh -k register     # pytest options
#
# The shell results the tests compare with come from target/debug/macsql (built if missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements-test.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "python/test.sh: installing the test requirements into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet -r "$here/requirements-test.txt"
    echo "$want" > "$stamp"
fi
[[ -n "${MACSQL_BIN:-}" || -x "${CARGO_TARGET_DIR:-target}/debug/macsql" ]] || cargo build --quiet
(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet)
"$venv/bin/python" -m pytest -q "$here/tests" "$@"
"$venv/bin/python" examples/notebook.py > /dev/null
echo "python/test.sh: examples/notebook.py ran (chart: target/notebook-asymmetry.png)"
