# go-tool-cache.sh — what scripts/ensure-pulumi.sh and scripts/ensure-actionlint.sh share: the cache
# root, Go build settings, one builder at a time per cached version, and the staged swap of a
# freshly built bin/. Sourced (under `set -euo pipefail`), never run.
#
# The sourcing script sets, before calling take_lock / new_stage / install_stage:
#   PREFIX   <cache root>/<tool>-<version>; the binaries live in $PREFIX/bin
#   MARKER   the file holding the build key of what $PREFIX/bin holds
# Messages go to stderr prefixed with the script's name; stdout is left to the script, whose last
# line is its answer.
# shellcheck shell=bash

GO_TOOL_SCRIPT="$(basename "$0" .sh)"
log() { printf '%s: %s\n' "$GO_TOOL_SCRIPT" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The cache root (docs/testing.md: SENDGRID_BATCH_CACHE), created and made absolute.
CACHE_ROOT="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}"
mkdir -p "$CACHE_ROOT"
CACHE_ROOT="$(cd "$CACHE_ROOT" && pwd)"

# Go build environment for every tool (a build key includes it, so changing it rebuilds):
#  - GOFLAGS=-mod=readonly: build exactly the committed go.mod/go.sum and never edit them. Every
#    downloaded module is checked against the committed go.sum, so integrity is pinned by what is
#    committed. We deliberately do NOT set GOSUMDB=off or GONOSUMDB: with a complete go.sum the
#    checksum database is never consulted (verified: a cold build with GOSUMDB pointed at a dead
#    address succeeds), and a missing go.sum line fails the build ("missing go.sum entry") instead
#    of silently trusting whatever the proxy serves. sum.golang.org itself is unreachable here; see
#    scripts/pulumi-cli/README.md for regenerating go.sum.
#  - GOWORK=off: ignore any go.work in a parent directory.
#  - GOPROXY, GOMODCACHE, GOCACHE: the machine's defaults (the caches persist).
# shellcheck disable=SC2034 # used by the sourcing scripts
BUILD_ENV=(CGO_ENABLED=0 GOWORK=off "GOFLAGS=-mod=readonly -buildvcs=false")

# version_ge A B: true if version A >= B (leading "v" ignored).
version_ge() { [[ "$(printf '%s\n%s\n' "${2#v}" "${1#v}" | sort -V | head -n1)" == "${2#v}" ]]; }

# go_version GO: the version GO reports ("1.26.8"), or "" (Go < 1.16 has no GOVERSION).
go_version() {
  local have
  have="$("$1" env GOVERSION 2>/dev/null || true)"
  printf '%s' "${have#go}"
}

# find_go: print a Go that reads this project's go.mod files (>= 1.21: it fetches the toolchain a
# go.mod names itself): the one on PATH, else the toolchain scripts/ensure-pulumi.sh fetched into the
# cache when PATH has only an older Debian Go. Fails (prints nothing) if there is neither.
find_go() {
  local candidate
  for candidate in "$(command -v go || true)" "$CACHE_ROOT"/go*/bin/go; do
    if [[ -x "$candidate" ]] && version_ge "$(go_version "$candidate")" "1.21"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# checksum: a short key for what is on stdin (cksum's CRC; it only has to notice a change).
checksum() { cksum | cut -d' ' -f1; }

# marker_says FILE KEY: true if FILE records build key KEY.
marker_says() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }

# take_lock WHAT: one builder at a time per $PREFIX; a second caller waits here, then finds the
# finished build (flock is from util-linux, present on Debian). Taken once per run.
take_lock() {
  [[ -n "${LOCKED:-}" ]] && return 0
  LOCKED=1
  mkdir -p "$PREFIX"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$PREFIX.lock"
    if ! flock -n 9; then
      log "another $GO_TOOL_SCRIPT is building $1; waiting for it (lock $PREFIX.lock)"
      flock 9
    fi
  else
    log "warning: flock not found; not guarding against concurrent builds"
  fi
}

# new_stage: a fresh, empty $STAGE dir to build into, removed if the run ends before install_stage.
# Call it holding the lock, and not in a subshell (it sets STAGE and the EXIT trap).
new_stage() {
  rm -rf "$PREFIX"/.stage.*   # left by a killed build (we hold the lock)
  STAGE="$(mktemp -d "$PREFIX/.stage.XXXXXX")"
  trap 'rm -rf "$STAGE"' EXIT
}

# install_stage KEY: swap $STAGE in as $PREFIX/bin and only then write KEY to $MARKER: an
# interrupted build leaves no marker, so the next run rebuilds (mostly from GOCACHE).
install_stage() {
  rm -f "$MARKER"
  rm -rf "${PREFIX:?}/bin"
  mv "$STAGE" "$PREFIX/bin"
  chmod 755 "$PREFIX/bin"
  trap - EXIT
  printf '%s\n' "$1" >"$MARKER"
}
