#!/usr/bin/env bash
# Load test of `souverain serve` on loopback, with TLS and keep-alive: a real
# load generator (oha) posts AdmissionReviews from testdata/admission at
# fixed rates, then as fast as it can; the server's resident memory is
# sampled every second over the whole run. The figures of docs/webhook.md
# come from this script.
#
# Needs: oha (`cargo install oha`), openssl, python3.
# Usage: bench/webhook-load.sh [seconds per step, default 20]
#
# The load generator runs on the same cores as the server: on a 2-core
# machine the throughput is what the two share, not the server's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
command -v oha >/dev/null || { echo "oha not found: cargo install oha" >&2; exit 2; }

cargo build --release --quiet
work="$(mktemp -d)"
trap 'kill "$server" "$sampler" 2>/dev/null || true; rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -keyout "$work/tls.key" -out "$work/tls.crt" -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

port=18443
target/release/souverain serve --listen "127.0.0.1:$port" \
  --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" 2>"$work/server.log" &
server=$!
for _ in $(seq 50); do
  curl -skf "https://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

# Resident memory (KiB), once a second, for the whole run.
(while kill -0 "$server" 2>/dev/null; do
   ps -o rss= -p "$server" >>"$work/rss.txt" || true
   sleep 1
 done) &
sampler=$!

# One table row from oha's JSON report.
cat >"$work/row.py" <<'EOF'
import json, sys
name, size = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin)
s, p = d["summary"], d["latencyPercentiles"]
codes = " ".join(f"{k}:{v}" for k, v in d.get("statusCodeDistribution", {}).items())
ms = lambda key: f"{p[key] * 1000:.2f}"
print(f"| {name} | {size} B | {s['requestsPerSec']:,.0f} | {ms('p50')} | {ms('p99')} "
      f"| {ms('p99.9')} | {s['successRate'] * 100:.1f}% | {codes} |")
EOF

# One step: oha for $seconds at a rate (or unbounded), one table row out.
step() { # name body rate connections
  local rate=()
  [ "$3" != max ] && rate=(-q "$3")
  oha -z "${seconds}s" -c "$4" "${rate[@]}" -m POST \
    -H 'content-type: application/json' -D "$2" \
    --insecure --no-tui --output-format json \
    "https://127.0.0.1:$port/validate" 2>/dev/null |
    python3 "$work/row.py" "$1 @ $3/s, $4 conn" "$(wc -c <"$2")"
}

allowed=testdata/admission/pod-paris.json
denied=testdata/admission/pod-us-east-1.json
echo "| load | body | reviews/s | p50 ms | p99 ms | p99.9 ms | success | status codes |"
echo "|---|---|---|---|---|---|---|---|"
step "allowed Pod" "$allowed" 1000 8
step "denied Pod" "$denied" 1000 8
step "allowed Pod" "$allowed" 5000 16
step "allowed Pod" "$allowed" max 32
step "denied Pod" "$denied" max 32

# The server's own view: its latency histogram over the whole run.
curl -skf "https://127.0.0.1:$port/metrics" | python3 -c '
import re, sys
buckets = {}
for line in sys.stdin:
    m = re.match(r"souverain_admission_review_duration_seconds_bucket\{le=\"([^\"]+)\"\} (\d+)", line)
    if m:
        buckets[m.group(1)] = int(m.group(2))
total = buckets["+Inf"]
shares = ", ".join(f"{float(le)*1000:g} ms: {n/total*100:.3f}%" for le, n in buckets.items()
                   if le != "+Inf" and 0.0001 <= float(le) <= 0.0064)
print(f"\nserver-side review time, share under each bound ({total:,} reviews): {shares}")
'

kill "$sampler" 2>/dev/null || true
python3 - "$work/rss.txt" <<'EOF'
import sys
rss = [int(line) for line in open(sys.argv[1]) if line.strip()]
print(f"\nserver RSS over {len(rss)} s: start {rss[0]/1024:.1f} MiB, "
      f"max {max(rss)/1024:.1f} MiB, end {rss[-1]/1024:.1f} MiB")
EOF
