#!/usr/bin/env bash
# Contracts tooling (DESIGN.md §3, STYLE.md item 11). Called by `make proto` and `make proto-check`.
#
#   scripts/proto.sh generate   buf lint, then regenerate libs/contracts/src/gen (TypeScript via
#                               ts-proto, plus descriptor.binpb for gRPC server reflection)
#   scripts/proto.sh check      buf lint, buf breaking against the baseline, and a drift check:
#                               regenerate into a temp dir and fail if it differs from the
#                               committed libs/contracts/src/gen
#
# Environment:
#   PROTO_BASELINE  git ref to compare for breaking changes (default: main, else origin/main).
#                   The check is skipped, with a message, when the ref has no proto/ yet.
#
# Needs only `make install` (buf and ts-proto come from the root node_modules). Runs from any cwd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$ROOT/node_modules/.bin:$PATH"

PROTO_DIR=proto
TEMPLATE=proto/buf.gen.yaml
GEN_DIR=libs/contracts/src/gen
DESCRIPTOR=descriptor.binpb
HEALTH_PROTO_DIR=libs/contracts/proto

die() { echo "proto: $*" >&2; exit 1; }

# Temp dirs made by this run, removed on any exit (including a failed check).
TMP_DIRS=()
cleanup() { if ((${#TMP_DIRS[@]})); then rm -rf "${TMP_DIRS[@]}"; fi; }
trap cleanup EXIT
# new_tmp_dir: sets NEW_TMP_DIR (no command substitution: its subshell would lose TMP_DIRS).
new_tmp_dir() { NEW_TMP_DIR="$(mktemp -d)"; TMP_DIRS+=("$NEW_TMP_DIR"); }

[[ -x node_modules/.bin/buf ]] || die "buf not found in node_modules/.bin; run 'make install' first"
[[ -x node_modules/.bin/protoc-gen-ts_proto ]] || die "ts-proto not found in node_modules/.bin; run 'make install' first"

lint() {
  echo "proto: buf lint"
  buf lint "$PROTO_DIR"
}

# ts-proto's enumsAsLiterals emits, beside each `as const` object, a type-only
#   export namespace Outcome { export type OUTCOME_DENY = typeof Outcome.OUTCOME_DENY; … }
# It is erasable, but the project bans namespaces outright (docs/conventions.md), and with
# stringEnums the literal type is simply "OUTCOME_DENY". Remove exactly that shape; the typecheck
# catches anything else. Fails if the shape changed and a namespace is left behind.
strip_enum_namespaces() {
  local dir="$1"
  find "$dir" -name '*.ts' -exec perl -0pi -e \
    's/^export namespace (\w+) \{\n(?:  export type \w+ = typeof \1\.\w+;\n)*\}\n\n?//mg' {} +
  if grep -rlE '^\s*(export )?(declare )?(namespace|enum|const enum) ' "$dir" --include='*.ts' >&2; then
    die "generated code above still has a namespace or enum (not erasable); check the ts-proto options"
  fi
}

# generate OUT_BASE: writes OUT_BASE/$GEN_DIR (the template's `out` is relative to OUT_BASE).
generate_into() {
  local base="$1" out="$1/$GEN_DIR"
  rm -rf "$out"
  buf generate "$PROTO_DIR" --template "$TEMPLATE" --output "$base"
  strip_enum_namespaces "$out"
  # The FileDescriptorSet (with imports and comments) that gRPC server reflection serves: Warden's
  # files, then the standard grpc.health.v1 file (vendored in $HEALTH_PROTO_DIR, outside the buf
  # module so Warden's lint rules do not apply to it), so reflection clients resolve Health too.
  # Two encoded FileDescriptorSets concatenated are one set holding both lists of files.
  buf build "$PROTO_DIR" --output "$out/warden.binpb"
  buf build "$HEALTH_PROTO_DIR" --output "$out/health.binpb"
  cat "$out/warden.binpb" "$out/health.binpb" >"$out/$DESCRIPTOR"
  rm "$out/warden.binpb" "$out/health.binpb"
}

breaking() {
  local ref="${PROTO_BASELINE:-}"
  if [[ -z "$ref" ]]; then
    for candidate in main origin/main; do
      if git rev-parse --verify --quiet "$candidate^{commit}" >/dev/null; then ref="$candidate"; break; fi
    done
  fi
  if [[ -z "$ref" ]]; then
    echo "proto: buf breaking skipped: no baseline ref (set PROTO_BASELINE or fetch main)"
    return 0
  fi
  if ! git cat-file -e "$ref:$PROTO_DIR/buf.yaml" 2>/dev/null; then
    echo "proto: buf breaking skipped: $ref has no $PROTO_DIR/buf.yaml yet (no baseline to compare)"
    return 0
  fi
  local base
  new_tmp_dir
  base="$NEW_TMP_DIR"
  # git archive works for worktrees and shallow clones alike, unlike buf's .git input.
  git archive "$ref" "$PROTO_DIR" | tar -x -C "$base"
  echo "proto: buf breaking against $ref ($(git rev-parse --short "$ref"))"
  buf breaking "$PROTO_DIR" --against "$base/$PROTO_DIR" ||
    die "breaking changes against $ref (add a new package version, e.g. v2, instead)"
}

drift() {
  local tmp
  new_tmp_dir
  tmp="$NEW_TMP_DIR"
  echo "proto: regenerating into a temp dir to check for drift"
  generate_into "$tmp"
  local diffs
  diffs="$(diff -rq "$GEN_DIR" "$tmp/$GEN_DIR" 2>&1 || true)"
  if [[ -n "$diffs" ]]; then
    echo "proto: generated code is out of date with proto/; run 'make proto' and commit the result." >&2
    # Name each drifted file relative to the repository.
    while IFS= read -r line; do
      case "$line" in
        "Files "*) f="${line#Files }"; f="${f%% and *}"; echo "  changed: $f" >&2 ;;
        "Only in $tmp/"*) d="${line#Only in $tmp/}"; echo "  missing: ${d%%: *}/${d#*: }" >&2 ;;
        "Only in "*) d="${line#Only in }"; echo "  stale:   ${d%%: *}/${d#*: }" >&2 ;;
        *) echo "  $line" >&2 ;;
      esac
    done <<<"$diffs"
    exit 1
  fi
  echo "proto: generated code is up to date"
}

case "${1:-}" in
  generate)
    lint
    echo "proto: buf generate -> $GEN_DIR"
    generate_into "$ROOT"
    echo "proto: done ($(find "$GEN_DIR" -type f | wc -l | tr -d ' ') files)"
    ;;
  check)
    lint
    breaking
    drift
    ;;
  *)
    echo "usage: scripts/proto.sh generate|check" >&2
    exit 2
    ;;
esac
