#!/usr/bin/env bash
# ensure-sdkgen.sh — build the SDK generator (scripts/sdkgen: Pulumi's schema binder and its Python,
# Go and Node.js code generators, from github.com/pulumi/pulumi/pkg/v3 pinned in its go.mod) once,
# and reuse it.
#
# Usage: scripts/ensure-sdkgen.sh
#
# Prints, as the LAST line of stdout, the absolute path of the `sdkgen` binary. Everything else
# (progress, go output) goes to stderr. Exit status non-zero (nothing printed) on failure.
#
#   SENDGRID_BATCH_CACHE   cache root (default
#                          ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
#
# The binary lives in <cache>/sdkgen-<pkg version>/bin and is rebuilt only when what determines it
# changes: go.mod, go.sum, main.go, the build settings, the platform. It shares Go's module cache and
# build cache with the Pulumi CLI that scripts/ensure-pulumi.sh builds from the same pkg/v3 version.
# Measured on 2 cores: 27 s when Go's build cache holds the CLI build, 225 s from an empty build cache
# (module cache filled, machine busy: load 7-13); a cached run 0.04 s. Concurrent callers wait on a
# lock (scripts/lib/go-tool-cache.sh).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/go-tool-cache.sh
source "$SCRIPT_DIR/lib/go-tool-cache.sh"
MOD_DIR="$SCRIPT_DIR/sdkgen"

# The pinned generator version, read from the committed go.mod (the one place it is written).
VERSION="$(sed -n 's|^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$|\1|p' "$MOD_DIR/go.mod" | head -n1)"
[[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the pinned pulumi/pkg/v3 version from $MOD_DIR/go.mod"

# One Pulumi version for the CLI, the npm SDK and the generator (scripts/pulumi-cli/README.md says how
# to move them together): generated SDKs change with the generator, so a bump regenerates them.
SDK_VERSION="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' \
  "$SCRIPT_DIR/../node_modules/@pulumi/pulumi/package.json" 2>/dev/null | head -n1)"
[[ "v$SDK_VERSION" == "$VERSION" ]] || die "scripts/sdkgen pins pulumi/pkg/v3 $VERSION but @pulumi/pulumi is '${SDK_VERSION}'; move them together"

PREFIX="$CACHE_ROOT/sdkgen-$VERSION"
BIN="$PREFIX/bin/sdkgen"
MARKER="$PREFIX/.build-key"
BUILD_FLAGS=(-trimpath)
LDFLAGS="-s -w"

BUILD_KEY="$(
  {
    printf '%s %s\n' "$VERSION" "$(uname -sm)"
    printf '%s\n' "${BUILD_ENV[*]}" "${BUILD_FLAGS[*]}" "$LDFLAGS"
    cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" "$MOD_DIR/main.go"
  } | checksum
)"

cache_is_good() { marker_says "$MARKER" "$BUILD_KEY" && [[ -x "$BIN" ]]; }

if cache_is_good; then
  printf '%s\n' "$BIN"
  exit 0
fi
take_lock "$VERSION"
if cache_is_good; then
  printf '%s\n' "$BIN"
  exit 0
fi

# `npm test` runs scripts/ensure-pulumi.sh first, which provisions a Go if there is none.
GO="$(find_go)" || die "need Go >= 1.21; run scripts/ensure-pulumi.sh once (it provisions one), or install golang"

log "building sdkgen (pulumi/pkg/v3 $VERSION) with $("$GO" version) into $PREFIX/bin"
new_stage
started=$SECONDS
(cd "$MOD_DIR" && env "${BUILD_ENV[@]}" "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$LDFLAGS" -o "$STAGE/sdkgen" .) >&2
log "built in $((SECONDS - started))s"
install_stage "$BUILD_KEY"
printf '%s\n' "$BIN"
