#!/usr/bin/env bash
# macsql benchmark: macsql against DuckDB, polars and a Python onnxruntime + Pillow pipeline.
#
#   bench/run.sh            full scale (4.3M-row catalog, 5 timed runs per engine, all images)
#   bench/run.sh --quick    CI-sized check (scale 0.05, 3 timed runs, one annotation run)
#   bench/run.sh [--quick] [bench.py options...]   e.g. --scale 0.2 --workloads 1,2 --repeats 7
#
# Creates bench/.venv with the pinned peers (bench/requirements.txt), builds macsql with
# `cargo build --release` unless MACSQL_BIN=path names an existing binary, then runs
# bench/bench.py, which prints the results table and writes it to bench/out/results-*.md/json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

mode=(--scale 1.0 --repeats 5 --warmup 1 --annotate-repeats 3)
args=()
for a in "$@"; do
    case "$a" in
        --quick) mode=(--scale 0.05 --repeats 3 --warmup 1 --annotate-repeats 1) ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exec python3 "$here/bench.py" --help ;;
        *) args+=("$a") ;;
    esac
done

# 1. The peers, pinned, in a local virtual environment (re-installed when requirements change).
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "bench: installing peers into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi

# 2. macsql, release build (or MACSQL_BIN).
if [[ -n "${MACSQL_BIN:-}" ]]; then
    bin="$MACSQL_BIN"
    [[ -x "$bin" ]] || { echo "bench: MACSQL_BIN=$bin is not an executable file" >&2; exit 2; }
else
    echo "bench: cargo build --release (set MACSQL_BIN=path to use an existing binary)" >&2
    cargo build --release --quiet
    bin="$root/target/release/macsql"
fi

# 3. Everything else.
export BENCH_COMMAND="${MACSQL_BIN:+MACSQL_BIN=$MACSQL_BIN }bench/run.sh $*"
exec "$venv/bin/python" "$here/bench.py" run --macsql "$bin" "${mode[@]}" "${args[@]}"
