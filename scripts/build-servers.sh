#!/usr/bin/env bash
# Builds (once, cached by version) the real servers Warden's tests and `make up` use.
# Everything comes from package registries: the Go module proxy and Maven Central.
# Usage: scripts/build-servers.sh [nats|temporal|ferretdb|testserver|all]
set -euo pipefail

CACHE="${WARDEN_CACHE:-$HOME/.cache/warden}"
NATS_VERSION=v2.15.2
TEMPORAL_CLI_VERSION=v1.5.1
FERRETDB_VERSION=v1.24.0
TEST_SERVER_VERSION=1.38.0
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

# Print the path of a built server binary (building it first if needed).
path_of() {
  case $1 in
    nats) echo "$CACHE/nats-server-$NATS_VERSION/nats-server" ;;
    temporal) echo "$CACHE/temporal-$TEMPORAL_CLI_VERSION/temporal" ;;
    ferretdb) echo "$CACHE/ferretdb-$FERRETDB_VERSION/ferretdb" ;;
    testserver) echo "$CACHE/temporal-test-server-$TEST_SERVER_VERSION/temporal-test-server" ;;
    *) fail "unknown server '$1' (nats|temporal|ferretdb|testserver)" ;;
  esac
}

command -v go >/dev/null || fail "Go is required (>= 1.26) to build nats-server, the Temporal CLI and FerretDB"

case "${1:-all}" in
  nats) build_nats ;;
  temporal) build_temporal ;;
  ferretdb) build_ferretdb ;;
  testserver) command -v mvn >/dev/null || fail "Maven and Java 17 are required for the Temporal test server"; build_testserver ;;
  path) path_of "${2:?server name}" ;;
  all)
    command -v mvn >/dev/null || fail "Maven and Java 17 are required for the Temporal test server"
    build_nats; build_ferretdb; build_testserver; build_temporal ;;
  *) fail "usage: $0 [nats|temporal|ferretdb|testserver|all|path NAME]" ;;
esac
