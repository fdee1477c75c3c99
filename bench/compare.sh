#!/usr/bin/env bash
# souverain side by side with Checkov and OPA on the same generated plans,
# whole process, one run of this script (figures in docs/performance.md):
#   - time: hyperfine (Debian), mean and min over the runs;
#   - peak memory: /usr/bin/time -f %M (maximum resident set, KiB);
#   - souverain's cost from 1k to 50k resources, and its cold start on a
#     small Terraform file and a small manifest.
#
# Peers are installed into target/bench-tools on first use, offline-friendly
# from PyPI: checkov, and OPA's Go engine through opa-golib-python-bindings
# (evaluating bench/opa/souverain.rego, an equivalent region and
# encryption policy).
#
# Usage: bench/compare.sh            (CHECKOV_UP_TO=10000 by default: Checkov
#                                     takes minutes on 10k resources, and
#                                     hours beyond)
set -euo pipefail
cd "$(dirname "$0")/.."
checkov_up_to="${CHECKOV_UP_TO:-10000}"
tools=target/bench-tools
inputs=target/bench-inputs
mkdir -p "$tools" "$inputs"

if [ ! -x "$tools/venv/bin/checkov" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet checkov
fi
if ! "$tools/venv/bin/python" -c "import opa_bindings" 2>/dev/null; then
  # The wheel is tagged for newer Pythons than this machine's; its Go
  # library does not depend on the Python version.
  "$tools/venv/bin/pip" download --quiet --python-version 3.14 --only-binary=:all: \
    --no-deps -d "$tools/opa-wheel" opa-golib-python-bindings
  "$tools/venv/bin/pip" install --quiet --ignore-requires-python "$tools"/opa-wheel/*.whl
fi

cargo build --release --quiet --bin souverain --example generate
bin=target/release/souverain
for n in 1000 10000 50000; do
  [ -s "$inputs/plan-$n.json" ] || target/release/examples/generate plan "$n" >"$inputs/plan-$n.json"
done
[ -s "$inputs/manifests-10000.yaml" ] || target/release/examples/generate manifests 10000 >"$inputs/manifests-10000.yaml"
[ -d "$inputs/hcl-1000" ] || target/release/examples/generate hcl 1000 "$inputs/hcl-1000"

souverain() { echo "$bin scan --format json $1"; }
opa() { echo "$tools/venv/bin/python bench/opa/eval.py $1"; }
checkov() { echo "env BC_SKIP_MAPPING=TRUE $tools/venv/bin/checkov -f $1 --framework terraform_plan --skip-download --quiet --compact"; }

# Peak RSS in KiB. Exit status 1 means findings: a result, not a failure.
rss() {
  local out
  out=$(mktemp)
  /usr/bin/time -o "$out" -f "%M" "$@" >/dev/null 2>&1 || true
  tail -1 "$out"
  rm -f "$out"
}

echo "# souverain, OPA and Checkov on the same plans ($(nproc) cores, $(date -u +%F))"
for n in 1000 10000 50000; do
  plan="$inputs/plan-$n.json"
  size=$(stat -c %s "$plan")
  echo
  echo "## plan-$n.json: $n resources, $size bytes"
  commands=("$(souverain "$plan")" "$(opa "$plan")")
  labels=(souverain OPA)
  table=$(mktemp)
  runs=10
  [ "$n" -ge 10000 ] && runs=5
  [ "$n" -ge 50000 ] && runs=3
  hyperfine -N --warmup 1 --runs "$runs" --ignore-failure --style none \
    --export-markdown "$table" "${commands[@]}" >/dev/null 2>&1
  cat "$table"
  if [ "$n" -le "$checkov_up_to" ]; then
    # Checkov at its own pace: 3 runs on 1k resources, 1 beyond.
    commands+=("$(checkov "$plan")")
    labels+=(Checkov)
    runs=3
    [ "$n" -gt 1000 ] && runs=1
    hyperfine -N --runs "$runs" --ignore-failure --style none \
      --export-markdown "$table" "$(checkov "$plan")" >/dev/null 2>&1
    echo
    cat "$table"
  fi
  rm -f "$table"
  echo
  for i in "${!commands[@]}"; do
    read -r -a words <<<"${commands[$i]}"
    echo "- peak RSS of ${labels[$i]}: $(rss "${words[@]}") KiB"
  done
done

echo
echo "## souverain from 1k to 50k resources"
echo
echo "| resources | bytes | mean | MB/s | µs per resource | peak RSS KiB | RSS / input |"
echo "|---|---|---|---|---|---|---|"
for n in 1000 10000 50000; do
  plan="$inputs/plan-$n.json"
  size=$(stat -c %s "$plan")
  json=$(mktemp)
  hyperfine -N --warmup 2 --runs 10 --ignore-failure --style none --export-json "$json" \
    "$(souverain "$plan")" >/dev/null 2>&1
  mean=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$json")
  rm -f "$json"
  read -r -a words <<<"$(souverain "$plan")"
  peak=$(rss "${words[@]}")
  python3 - "$n" "$size" "$mean" "$peak" <<'EOF'
import sys
n, size, mean, peak = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"| {n} | {size} | {mean * 1000:.1f} ms | {size / mean / 1e6:.0f} | {mean * 1e6 / n:.1f} | {peak} | {peak * 1024 / size:.2f} |")
EOF
done

echo
echo "## Other inputs and cold start"
echo
table=$(mktemp)
hyperfine -N --warmup 10 --runs 50 --ignore-failure --style none --export-markdown "$table" \
  "$bin scan testdata/hcl/waivers/main.tf" \
  "$bin scan testdata/k8s/pass/deployment-pinned-to-paris.yaml" \
  "$bin scan testdata/examples/estate.json" >/dev/null 2>&1
cat "$table"
hyperfine -N --warmup 1 --runs 5 --ignore-failure --style none --export-markdown "$table" \
  "$bin scan $inputs/manifests-10000.yaml" \
  "$bin scan $inputs/hcl-1000" >/dev/null 2>&1
echo
cat "$table"
rm -f "$table"
