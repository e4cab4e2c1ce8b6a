#!/usr/bin/env bash
# The real-world suite: CNCF distribution as the upstream, dockerd, containerd (ctr) and skopeo as
# clients, against the built Turnstile jar; for replicas, PostgreSQL as the shared store and nginx
# as the balancer. Needs root (it starts its own daemons under a temp dir). Installs the Debian
# packages it needs when they are missing, builds the jar, runs the JUnit suite in e2e/ and prints
# "e2e: N passed, N failed". A missing program fails the suite; nothing skips.
#
# The suite starts its own PostgreSQL (initdb under a temp dir) and nginx on free ports. Should the
# packages' own services start on install (Debian's cluster "main" on 5432, nginx on 80), they
# share nothing with the suite's: not a port, a data directory or a socket.
set -euo pipefail
cd "$(dirname "$0")/.."
# nginx lives in /usr/sbin, which a non-login root shell may lack.
PATH="$PATH:/usr/sbin:/sbin"

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v containerd >/dev/null || need+=(containerd)
command -v dockerd >/dev/null || need+=(docker.io)
command -v skopeo >/dev/null || need+=(skopeo)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v nginx >/dev/null || need+=(nginx)
# The TLS suite's private CA.
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  echo "e2e: installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

status=0
mvn -B -Pe2e -pl e2e -am verify -DskipTests -DskipITs || status=$?

summary=e2e/target/failsafe-reports/failsafe-summary.xml
if [[ -f "$summary" ]]; then
  python3 - "$summary" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
n = lambda tag: int(r.findtext(tag) or 0)
failed = n("errors") + n("failures")
print(f"e2e: {n('completed') - failed - n('skipped')} passed, {failed} failed")
PY
else
  echo "e2e: 0 passed, 1 failed"
  status=1
fi
exit $status
