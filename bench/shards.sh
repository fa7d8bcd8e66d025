#!/usr/bin/env bash
# Sharding overhead and partitioned reads, release build (the Speed part of "many machines"):
#  1. images/s of one unsharded `macsql annotate` run against 1, 2 and 4 shards run side by side
#     on this machine into one dataset folder (each shard gets cores/N threads, at least 1): the
#     cost of sharding, not a speed-up (the cores are shared);
#  2. the study (queries/study.sql) over the demo catalog as one Parquet file and as a
#     hive-partitioned folder of 8 files (written by macsql's own COPY ... PARTITIONED BY).
# Usage: MACSQL_BIN=target/release/macsql bench/shards.sh [IMAGES_DIR] [SCALE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
bin="${MACSQL_BIN:-$root/target/release/macsql}"
images="${1:-$root/../shared/data/images/real/ffhq}"
scale="${2:-1}"
repeats="${REPEATS:-3}"
cores="$(nproc)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
n_images="$(find -L "$images" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | wc -l)"
now() { date +%s.%N; }

echo "# sharding overhead: $n_images images of $images, $cores cores, $("$bin" --version)"
echo "| run | wall s | images/s |"
echo "|---|---:|---:|"
t0="$(now)"
"$bin" annotate "$images" --dataset ffhq --kind real -o "$tmp/one.parquet" --threads "$cores" >/dev/null 2>&1
t1="$(now)"
awk -v a="$t0" -v b="$t1" -v n="$n_images" 'BEGIN { printf "| one run, no --shard | %.2f | %.1f |\n", b - a, n / (b - a) }'
for shards in 1 2 4; do
  out="$tmp/folder-$shards/"
  threads=$(( cores / shards )); (( threads >= 1 )) || threads=1
  t0="$(now)"
  for ((i = 0; i < shards; i++)); do
    "$bin" annotate "$images" --dataset ffhq --kind real -o "$out" --shard "$i/$shards" \
      --threads "$threads" >/dev/null 2>&1 &
  done
  wait
  t1="$(now)"
  rows="$("$bin" --data "d=$out" -q --format csv -c "SELECT count(*) FROM d" | tail -1)"
  [[ "$rows" == "$n_images" ]] || { echo "shards=$shards: $rows rows, want $n_images" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" -v n="$n_images" -v s="$shards" -v t="$threads" \
    'BEGIN { printf "| %d shard(s) side by side, %d thread(s) each | %.2f | %.1f |\n", s, t, b - a, n / (b - a) }'
done

echo
echo "# the study over one file and over a partitioned folder (demo catalog, scale $scale, median of $repeats)"
"$bin" demo --scale "$scale" --out "$tmp/demo" >/dev/null 2>&1
file="$(find "$tmp/demo" -name '*.parquet' | head -1)"
if [[ "$(find "$tmp/demo" -name '*.parquet' | wc -l)" != 1 ]]; then
  "$bin" --data "demo=$tmp/demo" -q -c "COPY (SELECT * FROM demo) TO '$tmp/catalog.parquet'" >/dev/null
  file="$tmp/catalog.parquet"
fi
"$bin" --data "cat=$file" -q -c "COPY (SELECT *, CAST((row_number() OVER ()) % 8 AS INT) AS part FROM cat) \
  TO '$tmp/parts/' STORED AS PARQUET PARTITIONED BY (part)" >/dev/null
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "| catalog | median s |"
echo "|---|---:|"
for src in "$file" "$tmp/parts/"; do
  for ((r = 0; r < repeats; r++)); do
    t0="$(now)"
    "$bin" --data "demo=$src" -q --format csv -f "$root/queries/study.sql" >/dev/null
    t1="$(now)"
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
  done | median | awk -v s="$([[ "$src" == "$file" ]] && echo "one file" || echo "8-file partitioned folder")" \
    '{ printf "| %s | %.3f |\n", s, $1 }'
done
