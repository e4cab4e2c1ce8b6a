#!/usr/bin/env bash
# Turnstile benchmarks, side by side with its peers, in one run on this machine (loopback only).
#
#   benchmarks/run.sh [--quick] [--only PART,...]
#
#   --quick  small sizes, short runs: a smoke check, not figures
#   --only   some of the parts below (peers, blobs, audit, limits, scale, replicas, authorize, blobindex, chaos,
#            webhooks, bundle), e.g. --only scale,replicas
#
# A full run writes benchmarks/results/<date>.md; a partial one <date>-<parts>.md and a quick one
# <date>-quick.md (or <date>-<parts>-quick.md), so neither replaces a full run's figures.
#
# Installs what it needs from Debian when missing (docker-registry, nginx, hey, skopeo, curl,
# postgresql), builds the jar and the benchmark module, runs:
#   - peers: blob throughput (one and 16/64 clients, with Turnstile's peak RSS), the same with
#     Turnstile's blob cache cold (each run beside an uncached one) and warm, 64 clients on one cold
#     blob (upstream fetches counted), and again behind a throttled upstream (nginx limit_rate:
#     each client's time to first byte, the whole herd against one download),
#     manifest request rates, token issuance, skopeo copies: upstream (distribution), nginx,
#     distribution's pull-through cache and Turnstile (PeerBenchmarks);
#   - blobs: the blob sections of peers only (throughput, the blob cache cold and warm, the herds, and
#     pulls while the upstream is down), for a run about releases and outages; not part of a full run,
#     which has them in peers;
#   - audit: manifest GET rates with the pull audit log on and off, side by side (AuditBenchmark);
#   - limits: manifest and blob GET rates with fair-use limits configured but not reached, side by
#     side with none (LimitsBenchmark);
#   - scale: a store of 100,000 licenses and 1,000,000 versions (10,000 with --quick), on SQLite and
#     on PostgreSQL: start-up and snapshot memory (ScaleBenchmark);
#   - replicas: two Turnstile processes on one PostgreSQL store, 100 edits through one's admin API
#     (10 with --quick) and how long until the other enforces each (ReplicaBenchmark);
#   - authorize: the cost of one authorization decision (JMH, AuthorizeBenchmark);
#   - blobindex: the blob cache's index rebuilt at start from 100,000 files (10,000 with --quick)
#     (BlobIndexBenchmark);
#   - chaos: three replicas on one PostgreSQL store under paced pulls and edits for 4 minutes (40 s
#     with --quick), the database stopped for 10 s and a replica killed and restarted; every pull
#     answer checked against the license's state at that time (ChaosBenchmark);
#   - webhooks: one Turnstile with no enabled webhook endpoint, with one whose receiver is on
#     loopback, and with none again (the noise), in turn: admin write latency, manifest GET rates and
#     how soon the receiver has a burst's events (WebhooksBenchmark).
#   - bundle: an air-gap bundle of a 1 GiB image (64 MiB with --quick) at -Xmx256m, its
#     throughput beside a plain pull of the same layer, and Turnstile's peak RSS (BundleBenchmark).
# Every process it starts is stopped when it ends.
#
# PostgreSQL runs from testkit's fixture (initdb under a temp dir, a free port on 127.0.0.1), never
# as the package's system service; should that service start on install, it shares nothing with
# the benchmarks' server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# nginx lives in /usr/sbin, which a non-login root shell may lack.
PATH="$PATH:/usr/sbin:/sbin"
all=(peers audit limits scale replicas authorize blobindex chaos webhooks bundle)
usage() { echo "usage: benchmarks/run.sh [--quick] [--only peers,blobs,audit,limits,scale,replicas,authorize,blobindex,chaos,webhooks,bundle]" >&2; exit 2; }
quick=()
only=""
while (($#)); do
  case "$1" in
    --quick) quick=(--quick) ;;
    --only) (($# >= 2)) || usage; only=$2; shift ;;
    --only=*) only=${1#--only=} ;;
    *) usage ;;
  esac
  shift
done
parts=("${all[@]}")
if [[ -n "$only" ]]; then
  IFS=, read -ra parts <<< "$only"
  for p in "${parts[@]}"; do
    [[ " ${all[*]} blobs " == *" $p "* ]] || { echo "unknown part '$p'; parts: ${all[*]} blobs" >&2; exit 2; }
  done
fi
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v nginx >/dev/null || need+=(nginx-light)
command -v hey >/dev/null || need+=(hey)
command -v skopeo >/dev/null || need+=(skopeo)
command -v curl >/dev/null || need+=(curl)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if ((${#need[@]})); then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cd "$root"
# package, not install: the reactor resolves the modules from each other, and nothing leaves the tree.
mvn -B -q -Pbenchmarks -DskipTests -DskipITs package

results="$here/results"
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jar="$here/target/benchmarks.jar"
# The machine may be shared: the load around the run says how much the figures competed for it.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Runs a benchmark's main class with its log in $tmp; on failure shows the log and stops.
bench() {
  local name=$1 heap=$2
  shift 2
  # Each benchmark's temporary directories (upstream storage, caches, databases) go under $tmp,
  # which the trap above deletes, so a run leaves nothing in /tmp.
  mkdir -p "$tmp/java"
  java "$heap" -Djava.io.tmpdir="$tmp/java" -cp "$jar" "$@" > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; exit 1; }
}
if wants peers; then
  bench peers -Xmx1g io.turnstile.benchmarks.PeerBenchmarks "${quick[@]}" "$tmp/peers.md"
fi
if wants blobs; then
  bench blobs -Xmx1g io.turnstile.benchmarks.PeerBenchmarks "${quick[@]}" --blobs "$tmp/blobs.md"
fi
if wants audit; then
  bench audit -Xmx1g io.turnstile.benchmarks.AuditBenchmark "${quick[@]}" "$tmp/audit.md"
fi
if wants limits; then
  bench limits -Xmx1g io.turnstile.benchmarks.LimitsBenchmark "${quick[@]}" "$tmp/limits.md"
fi
if wants scale; then
  bench scale -Xmx2g io.turnstile.benchmarks.ScaleBenchmark "${quick[@]}" "$tmp/scale.md"
  bench scale-postgres -Xmx2g io.turnstile.benchmarks.ScaleBenchmark "${quick[@]}" --postgres "$tmp/scale-postgres.md"
fi
if wants replicas; then
  bench replicas -Xmx1g io.turnstile.benchmarks.ReplicaBenchmark "${quick[@]}" "$tmp/replicas.md"
fi
if wants chaos; then
  bench chaos -Xmx1g io.turnstile.benchmarks.ChaosBenchmark "${quick[@]}" "$tmp/chaos.md"
fi
if wants webhooks; then
  bench webhooks -Xmx1g io.turnstile.benchmarks.WebhooksBenchmark "${quick[@]}" "$tmp/webhooks.md"
fi
if wants bundle; then
  bench bundle -Xmx1g io.turnstile.benchmarks.BundleBenchmark "${quick[@]}" "$tmp/bundle.md"
fi
if wants blobindex; then
  bench blobindex -Xmx1g io.turnstile.benchmarks.BlobIndexBenchmark "${quick[@]}" "$tmp/blobindex.md"
fi
if wants authorize; then
  jmh=(-rf json -rff "$tmp/authorize.json")
  if ((${#quick[@]})); then
    jmh+=(-wi 1 -w 1 -i 2 -r 1 -p licenses=10000)
  fi
  java -jar "$jar" AuthorizeBenchmark "${jmh[@]}" > "$tmp/authorize.log" 2>&1 || { cat "$tmp/authorize.log"; exit 1; }
fi

name=$(date -u +%Y-%m-%d)
if [[ -n "$only" ]]; then
  name="$name-$(IFS=-; echo "${parts[*]}")"
fi
if ((${#quick[@]})); then
  name="$name-quick"
fi
out="$results/$name.md"
java_version=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.vm\.version = //p')
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$tmp" "$out" "${quick[*]:-full}" "${parts[*]}" "$java_version" "$load_before" "$load_after" <<'PY'
import json, sys, platform, os
tmp, out, mode, parts, java, load_before, load_after = sys.argv[1:8]
def f(v):
    try: return f"{float(v):,.0f}"
    except (TypeError, ValueError): return "-"
lines = ["# Turnstile benchmark run", "",
         f"- machine: {os.cpu_count()} cores, {platform.machine()}, Java {java}",
         f"- mode: {mode}" + ("" if parts == "peers audit limits scale replicas authorize blobindex chaos webhooks bundle" else f"; parts: {', '.join(parts.split())}"),
         f"- load average (1, 5, 15 min) before the run: {load_before.replace(' ', ', ')}; after: {load_after.replace(' ', ', ')}", ""]
for section in ("peers.md", "blobs.md", "audit.md", "limits.md", "scale.md", "scale-postgres.md", "replicas.md", "chaos.md",
                "webhooks.md", "bundle.md", "blobindex.md"):
    if os.path.exists(f"{tmp}/{section}"):
        lines.append(open(f"{tmp}/{section}").read())
if os.path.exists(f"{tmp}/authorize.json"):
    data = json.load(open(f"{tmp}/authorize.json"))
    lines += ["### Authorization decision (JMH, ns per decision: key check and tag grant)", "",
              "| licenses | holding a range | mean ± error | p50 | p90 | p99 | min | max |",
              "|---|---|---|---|---|---|---|---|"]
    by = {}
    for r in data:
        key = (int(r["params"]["licenses"]), int(r["params"].get("rangePercent", "0")))
        by.setdefault(key, {})[r["mode"]] = r["primaryMetric"]
    for (n, pct), modes in sorted(by.items()):
        a = modes.get("avgt", {}); s = modes.get("sample", {}); pc = s.get("scorePercentiles", {})
        lines.append(f"| {n:,} | {pct} % | {f(a.get('score'))} ± {f(a.get('scoreError'))} | {f(pc.get('50.0'))} | "
                     f"{f(pc.get('90.0'))} | {f(pc.get('99.0'))} | {f(pc.get('0.0'))} | {f(pc.get('100.0'))} |")
open(out, "w").write("\n".join(lines) + "\n")
PY
cat "$out"
