#!/usr/bin/env bash
# Checks that `cargo install --path .` gives a macsql that runs every command from a folder
# outside the checkout: SQL mode and the demo, annotate with the built-in bundle, import, demo,
# train (a tiny head), report, and the shell's dot commands.
#
#   scripts/install_check.sh [ROOT]     installs into ROOT (default: a temporary folder)
#
# Set CARGO_TARGET_DIR to reuse a release build (cargo install builds with the release profile).
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$(cd "$src/../shared/data" && pwd)"
root="${1:-$(mktemp -d)}"
cargo install --quiet --locked --path "$src" --root "$root"
bin="$root/bin/macsql"
work="$(mktemp -d)"
cd "$work"   # nothing of the checkout is reachable by a relative path from here
step() { echo "== $*" >&2; }
step "version and help";  "$bin" --version; "$bin" --help >/dev/null
step "SQL on the demo";   "$bin" --demo --scale 0.01 -q -c "SELECT dataset, count(*) AS n FROM demo GROUP BY dataset ORDER BY dataset"
step "dot command";       "$bin" --demo --scale 0.01 -q -c ".tables"
step "annotate (built-in bundle)"
env -u MACSQL_MODEL "$bin" annotate "$data/images/real/ffhq" --dataset ffhq --kind real -o ffhq.parquet -q
"$bin" --data ffhq.parquet -q -c "SELECT count(*) AS images, sum(CASE WHEN Male = 1 THEN 1 ELSE 0 END) AS male FROM ffhq"
step "import";            "$bin" import --format faceapi "$data/annotations/ffhq_faceapi.csv" --dataset FFHQ --kind real -o ffhq_faceapi.parquet
step "demo";              "$bin" demo --scale 0.001 --out demo_catalog
step "train (one head, 2 folds)"
"$bin" --data ffhq.parquet --data ffhq_faceapi.parquet -q --format csv -o labels.csv -c \
  "SELECT a.path, f.Eyeglasses FROM ffhq a JOIN ffhq_faceapi f
   ON regexp_replace(a.path, '^.*/|[.][A-Za-z]+\$', '', 'g') = regexp_replace(f.path, '^.*/|[.][A-Za-z]+\$', '', 'g')"
env -u MACSQL_MODEL "$bin" train labels.csv --attribute Eyeglasses --folds 2 -o glasses.toml -q
step "report";            "$bin" report --data demo_catalog -o report.html -q && test -s report.html
step "SQL mode with a file";  echo "SELECT 1 AS one;" > q.sql && "$bin" -q -f q.sql
echo "install check passed: $bin ($(du -h "$bin" | cut -f1)), run from $work" >&2
