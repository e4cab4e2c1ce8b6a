#!/usr/bin/env bash
# Turnstile benchmarks. Builds what it measures, runs it on this machine only (loopback), writes
# benchmarks/results/<date>.md and prints it.
#
#   benchmarks/run.sh [--quick]     --quick: short iterations, for a smoke check
#
# Figures:
#   authorize   JMH: one authorization decision (key check + tag grant) against an in-memory
#               snapshot of 10,000 and 100,000 licenses with 10 versions each.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

cd "$root"
mvn -B -q -Pbenchmarks -DskipTests package

jmh_args=(-rf json -rff "$here/results/authorize.json.tmp")
if ((quick)); then
  jmh_args+=(-wi 1 -w 1 -i 2 -r 1 -p licenses=10000)
fi
java -jar "$here/target/benchmarks.jar" AuthorizeBenchmark "${jmh_args[@]}" > "$here/results/authorize.log.tmp" 2>&1

out="$here/results/$(date -u +%Y-%m-%d).md"
python3 - "$here/results/authorize.json.tmp" "$out" "$quick" <<'PY'
import json, sys, platform, os
data = json.load(open(sys.argv[1]))
lines = ["# Turnstile benchmark run", "",
         f"- machine: {os.cpu_count()} cores, {platform.machine()}, Java {data[0].get('vmVersion', '?') if data else '?'}",
         f"- mode: {'quick' if sys.argv[3] == '1' else 'full'}", "",
         "## Authorization decision (JMH, ns per decision)", "",
         "| licenses | mean ± error | p50 | p90 | p99 | min | max |", "|---|---|---|---|---|---|---|"]
by = {}
for r in data:
    n = r["params"]["licenses"]
    by.setdefault(n, {})[r["mode"]] = r["primaryMetric"]
for n, modes in sorted(by.items(), key=lambda kv: int(kv[0])):
    a = modes.get("avgt", {}); s = modes.get("sample", {})
    pc = s.get("scorePercentiles", {})
    def f(v):
        try: return f"{float(v):,.0f}"
        except (TypeError, ValueError): return "-"
    lines.append(f"| {int(n):,} | {f(a.get('score'))} ± {f(a.get('scoreError'))} | {f(pc.get('50.0'))} | "
                 f"{f(pc.get('90.0'))} | {f(pc.get('99.0'))} | {f(pc.get('0.0'))} | {f(pc.get('100.0'))} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
rm -f "$here/results/"*.tmp
cat "$out"
