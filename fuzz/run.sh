#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300) and prints executions and findings per
# target. Seeds come from the shared data (examples/fuzz_seeds.rs); crashes land in
# fuzz/artifacts/<target>/. Needs the nightly toolchain (cargo fuzz uses -Z sanitizer).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(import manifest label_scan image)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
cargo run -q --example fuzz_seeds
# Debug builds with AddressSanitizer: a cold build is minutes instead of the half hour of release,
# and debug assertions (overflow checks) stay on.
(cd fuzz && cargo +nightly fuzz build --dev)
summary=()
for t in "${targets[@]}"; do
  log="fuzz/artifacts/$t.log"
  mkdir -p "fuzz/artifacts/$t"
  status=0
  (cd fuzz && cargo +nightly fuzz run --dev "$t" -- -max_total_time="$seconds" -max_len=65536 \
      -rss_limit_mb=4096 -timeout=60 -print_final_stats=1) >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  summary+=("$t: ${execs} executions in ${seconds} s, coverage ${cov}, exit ${status}, findings ${crashes}")
done
printf '%s\n' "${summary[@]}"
