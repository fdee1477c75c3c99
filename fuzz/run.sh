#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) on stable Rust, without
# sanitizers (`--sanitizer none`: nightly is not required), from the seeds of
# fuzz/seed.sh. Stops at the first target that finds a crash, a hang (over
# 10 s for one input) or a blow-up (over 2 GiB); the input is in
# fuzz/artifacts/<target>/. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
fuzz/seed.sh
for target in "${targets[@]}"; do
  echo "== $target, ${seconds} s"
  cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -print_final_stats=1
done
