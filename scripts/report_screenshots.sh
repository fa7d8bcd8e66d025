#!/usr/bin/env bash
# Writes a report of the simulated demo catalog and screenshots of it (desktop, dark scheme,
# phone) for a person to look at, through the browser check (tests/browser/check_report.mjs).
#
#   scripts/report_screenshots.sh [OUT_DIR]     (default target/report-shots)
#
# Needs Debian's chromium and `npm ci --prefix tests/browser`; builds macsql (release) if needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/target/report-shots}"
mkdir -p "$out"
cd "$root"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$root/target}/release/macsql"
"$bin" report --demo --subgroups 'Male,Senior' -o "$out/report.html"
node tests/browser/check_report.mjs "$out/report.html" "$out"
echo "report and screenshots in $out" >&2
