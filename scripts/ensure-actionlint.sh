#!/usr/bin/env bash
# ensure-actionlint.sh — make actionlint (the GitHub Actions workflow linter) available without
# GitHub release downloads.
#
# Usage: scripts/ensure-actionlint.sh
#
# Prints, as the LAST line of stdout, the absolute path of an `actionlint` binary. Everything
# else (progress, go output) goes to stderr. Exit status non-zero (nothing printed) on failure.
#
#   SENDGRID_BATCH_CACHE   cache root (default
#                          ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
#
# Where it comes from: `go build` of github.com/rhysd/actionlint/cmd/actionlint, pinned by the
# wrapper module scripts/actionlint (go.mod + committed go.sum, built with -mod=readonly so every
# downloaded module is checked against go.sum), into <cache>/actionlint-v<version>/bin. First build
# on 2 cores: ~10 s with the Go module cache filled, ~45 s from nothing; later runs reuse it
# (~0.1 s). Concurrent callers (jest workers, parallel checkouts) wait on a lock. The cache, lock
# and staged install are scripts/lib/go-tool-cache.sh, shared with scripts/ensure-pulumi.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/go-tool-cache.sh
source "$SCRIPT_DIR/lib/go-tool-cache.sh"
MOD_DIR="$SCRIPT_DIR/actionlint"
MODULE="github.com/rhysd/actionlint"

# The pinned version, read from the committed go.mod (the one place it is written).
VERSION="$(sed -n "s|^require $MODULE \(v[0-9.]*\)$|\1|p" "$MOD_DIR/go.mod")"
[[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the pinned $MODULE version from $MOD_DIR/go.mod"

PREFIX="$CACHE_ROOT/actionlint-$VERSION"
BIN="$PREFIX/bin/actionlint"
MARKER="$PREFIX/.build-key"

BUILD_FLAGS=(-trimpath)
# actionlint's release builds set this variable (goreleaser); `actionlint -version` prints it.
LDFLAGS="-s -w -X $MODULE.version=${VERSION#v}"

# Reuse the cached binary only while everything that determines it is unchanged.
BUILD_KEY="$(
  {
    printf '%s %s\n' "$VERSION" "$(uname -sm)"
    printf '%s\n' "${BUILD_ENV[*]}" "${BUILD_FLAGS[*]}" "$LDFLAGS"
    cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum"
  } | checksum
)"

cache_is_good() {
  marker_says "$MARKER" "$BUILD_KEY" && [[ -x "$BIN" ]] \
    && [[ "$("$BIN" -version 2>/dev/null | head -n1)" == "${VERSION#v}" ]]
}

if cache_is_good; then
  printf '%s\n' "$BIN"
  exit 0
fi

take_lock "$VERSION"
if cache_is_good; then
  printf '%s\n' "$BIN"
  exit 0
fi

# Go >= the wrapper's `go` line, or any Go >= 1.21 (it fetches the named toolchain itself from the
# module proxy, GOTOOLCHAIN=auto). Older Go cannot read the go.mod: scripts/ensure-pulumi.sh
# provisions a new enough toolchain into the same cache, so look there before giving up.
GO_NEEDED="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$MOD_DIR/go.mod")"
GO=""
for candidate in "$(command -v go || true)" "$CACHE_ROOT"/go*/bin/go; do
  [[ -n "$candidate" && -x "$candidate" ]] || continue
  have="$(go_version "$candidate")"
  if [[ -n "$have" ]] && { version_ge "$have" "$GO_NEEDED" || version_ge "$have" "1.21"; }; then
    GO="$candidate"
    break
  fi
done
[[ -n "$GO" ]] || die "need Go >= 1.21 (go.mod asks for $GO_NEEDED); run scripts/ensure-pulumi.sh --build once, or install golang"

log "building actionlint $VERSION with $("$GO" version) into $PREFIX/bin"
new_stage
started=$SECONDS
(cd "$MOD_DIR" && env "${BUILD_ENV[@]}" "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$LDFLAGS" \
  -o "$STAGE/actionlint" "$MODULE/cmd/actionlint") >&2
built="$("$STAGE/actionlint" -version | head -n1)"
[[ "$built" == "${VERSION#v}" ]] || die "built actionlint reports '$built', expected ${VERSION#v}"
log "built in $((SECONDS - started))s"

install_stage "$BUILD_KEY"
printf '%s\n' "$BIN"
