#!/usr/bin/env bash
# Label scans against DataFusion's own Parquet reader, same binary, same file: workload 2's
# comparison (compare_attributes) over slices from coarse to selective. The catalog is the one
# bench/run.sh writes; the registered table (`--data cat=FILE`) uses label scans, the same file
# queried as FROM 'FILE' uses DataFusion's reader (filter pushdown off, its default).
#
#   MACSQL_BIN=target/release/macsql bench/slices.sh [CATALOG.parquet] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${MACSQL_BIN:-$here/../target/release/macsql}"
file="${1:-$here/out/data/scale-1-seed-42/catalog.parquet}"
runs="${2:-7}"
[[ -x "$bin" ]] || { echo "slices.sh: no macsql binary at $bin (set MACSQL_BIN)" >&2; exit 2; }
[[ -f "$file" ]] || { echo "slices.sh: no catalog at $file (run bench/run.sh first)" >&2; exit 2; }

median_ms() { # runs the query $runs times, prints the median wall time in ms
    local ts=() s e
    for _ in $(seq "$runs"); do
        s=$(date +%s%N)
        "$bin" --data "cat=$file" -q -c "$1" >/dev/null
        e=$(date +%s%N)
        ts+=($(((e - s) / 1000000)))
    done
    printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

src="'${file//\'/\'\'}'"
echo "| slice | rows | label scan (registered table) ms | DataFusion reader (FROM 'file') ms |"
echo "|---|---:|---:|---:|"
for where in 'Male = 1' 'Male = 1 AND Young = 1' 'Male = 1 AND Senior = 1 AND Asian = 1'; do
    rows=$("$bin" --data "cat=$file" -q --format csv -c "SELECT count(*) FROM cat WHERE $where" | tail -1)
    cmp="SELECT * FROM compare_attributes('sub', 'dataset')"
    a=$(median_ms "CREATE VIEW sub AS SELECT * FROM cat WHERE $where; $cmp")
    b=$(median_ms "CREATE VIEW sub AS SELECT * FROM $src WHERE $where; $cmp")
    echo "| $where | $rows | $a | $b |"
done
