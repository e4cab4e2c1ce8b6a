#!/usr/bin/env bash
# Turnstile benchmarks, side by side with its peers, in one run on this machine (loopback only).
#
#   benchmarks/run.sh [--quick]     --quick: small blob, short runs: a smoke check, not figures
#
# Installs what it needs from Debian when missing (docker-registry, nginx, hey, skopeo, curl),
# builds the jar and the benchmark module, runs:
#   - peers: blob throughput (one and 16/64 clients, with Turnstile's peak RSS), manifest request
#     rates, token issuance, skopeo copies: upstream (distribution), nginx, distribution's
#     pull-through cache and Turnstile (PeerBenchmarks);
#   - audit: manifest GET rates with the pull audit log on and off, side by side (AuditBenchmark);
#   - scale: a store of 100,000 licenses and 1,000,000 versions: start-up and snapshot memory
#     (ScaleBenchmark);
#   - authorize: the cost of one authorization decision (JMH, AuthorizeBenchmark);
# and writes benchmarks/results/<date>.md. Every process it starts is stopped when it ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=()
[[ "${1:-}" == "--quick" ]] && quick=(--quick)

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v nginx >/dev/null || need+=(nginx-light)
command -v hey >/dev/null || need+=(hey)
command -v skopeo >/dev/null || need+=(skopeo)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cd "$root"
mvn -B -q -Pbenchmarks -DskipTests -DskipITs install

results="$here/results"
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jar="$here/target/benchmarks.jar"

java -Xmx1g -cp "$jar" io.turnstile.benchmarks.PeerBenchmarks "${quick[@]}" "$tmp/peers.md" > "$tmp/peers.log" 2>&1 \
  || { cat "$tmp/peers.log"; exit 1; }
java -Xmx1g -cp "$jar" io.turnstile.benchmarks.AuditBenchmark "${quick[@]}" "$tmp/audit.md" > "$tmp/audit.log" 2>&1 \
  || { cat "$tmp/audit.log"; exit 1; }
java -Xmx2g -cp "$jar" io.turnstile.benchmarks.ScaleBenchmark "${quick[@]}" "$tmp/scale.md" > "$tmp/scale.log" 2>&1 \
  || { cat "$tmp/scale.log"; exit 1; }

jmh=(-rf json -rff "$tmp/authorize.json")
if ((${#quick[@]})); then
  jmh+=(-wi 1 -w 1 -i 2 -r 1 -p licenses=10000)
fi
java -jar "$jar" AuthorizeBenchmark "${jmh[@]}" > "$tmp/authorize.log" 2>&1 || { cat "$tmp/authorize.log"; exit 1; }

out="$results/$(date -u +%Y-%m-%d).md"
python3 - "$tmp" "$out" "${quick[*]:-full}" <<'PY'
import json, sys, platform, os
tmp, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
data = json.load(open(f"{tmp}/authorize.json"))
def f(v):
    try: return f"{float(v):,.0f}"
    except (TypeError, ValueError): return "-"
lines = ["# Turnstile benchmark run", "",
         f"- machine: {os.cpu_count()} cores, {platform.machine()}, Java {data[0].get('vmVersion', '?') if data else '?'}",
         f"- mode: {mode}", "", open(f"{tmp}/peers.md").read(), open(f"{tmp}/audit.md").read(),
         open(f"{tmp}/scale.md").read(),
         "### Authorization decision (JMH, ns per decision: key check and tag grant)", "",
         "| licenses | mean ± error | p50 | p90 | p99 | min | max |", "|---|---|---|---|---|---|---|"]
by = {}
for r in data:
    by.setdefault(r["params"]["licenses"], {})[r["mode"]] = r["primaryMetric"]
for n, modes in sorted(by.items(), key=lambda kv: int(kv[0])):
    a = modes.get("avgt", {}); s = modes.get("sample", {}); pc = s.get("scorePercentiles", {})
    lines.append(f"| {int(n):,} | {f(a.get('score'))} ± {f(a.get('scoreError'))} | {f(pc.get('50.0'))} | "
                 f"{f(pc.get('90.0'))} | {f(pc.get('99.0'))} | {f(pc.get('0.0'))} | {f(pc.get('100.0'))} |")
open(out, "w").write("\n".join(lines) + "\n")
PY
cat "$out"
