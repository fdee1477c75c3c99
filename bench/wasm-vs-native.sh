#!/usr/bin/env bash
# WASM module vs native engine, whole process, same inputs, one hyperfine run
# each (figures in docs/wasm.md). Needs: hyperfine (Debian), the release
# binary with the wasm-host feature, and the release module:
#   cargo build --release --features wasm-host && make wasm
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/souverain
module=target/wasm32-wasip1/release/souverain_wasm.wasm
cache=$(mktemp -d)
corpus=${SOUVERAIN_CORPUS:-../shared/corpus}
for needed in "$bin" "$module"; do
  [ -e "$needed" ] || { echo "missing $needed: see the header of $0" >&2; exit 2; }
done

inputs=(testdata/examples/estate.json)
[ -d "$corpus" ] && inputs+=("$corpus/tfplan/infracost__terraform_v0.14_plan.json" "$corpus/k8s/kyvernopol__restrict-volume-types__resource.yaml")

# The first run compiles the module into the cache; every measured run loads
# the precompiled module, instantiates it and scans.
"$bin" wasm-scan --module "$module" --cache "$cache" "${inputs[0]}" >/dev/null || true

for input in "${inputs[@]}"; do
  echo "### $(basename "$input") ($(stat -c %s "$input") bytes)"
  table=$(mktemp)
  hyperfine --warmup 3 --runs 30 -N --ignore-failure --style none --export-markdown "$table" \
    "$bin scan --format json $input" \
    "$bin wasm-scan --module $module --cache $cache $input" 2>/dev/null >/dev/null
  cat "$table"
  rm -f "$table"
  for engine in native wasm; do
    if [ "$engine" = native ]; then cmd=("$bin" scan --format json "$input"); else cmd=("$bin" wasm-scan --module "$module" --cache "$cache" "$input"); fi
    # Exit status 1 means findings, not a failure of the measurement.
    rss=$( { /usr/bin/time -f "%M" "${cmd[@]}" >/dev/null || true; } 2>&1 | tail -1)
    echo "peak RSS $engine: ${rss} KiB"
  done
  echo
done
rm -rf "$cache"
