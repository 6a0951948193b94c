#!/usr/bin/env bash
# ensure-pulumi.sh — make a working Pulumi CLI available without get.pulumi.com.
#
# Usage: scripts/ensure-pulumi.sh [--build] [--no-yaml]
#
# Prints, as the LAST line of stdout, the absolute path of a `bin/` directory
# containing:
#   pulumi                         CLI, `pulumi version` >= the locked @pulumi/pulumi
#   pulumi-language-nodejs         Node.js language host (for Pulumi.yaml projects)
#   pulumi-resource-pulumi-nodejs  dynamic-provider plugin script (from node_modules)
#   pulumi-language-yaml           Pulumi YAML language host (for `runtime: yaml`
#                                  projects such as examples/yaml)
# Put it first on PATH for `pulumi up` etc.; for the Automation API use
# `PulumiCommand.get({ root: dirname(<printed dir>) })` (it wants <root>/bin/pulumi).
# Everything else (progress, go output) goes to stderr.
#
#   --build / ENSURE_PULUMI_BUILD=1   ignore a `pulumi` on PATH, use/build the cached one
#   --no-yaml                         do not build the YAML language host if it is missing
#   SENDGRID_BATCH_CACHE               cache root (default
#                                      ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
#
# Where the binaries come from (this project's machines reach only package
# registries: the Go module proxy, npm, PyPI, Debian):
#   1. a `pulumi` on PATH whose version is >= the locked SDK version and that has
#      `pulumi-language-nodejs` beside it (a normal Pulumi install). Its own dir is
#      printed if the plugin script is there too, else a small symlink dir in the cache;
#   2. otherwise `go build` from Pulumi's Go modules, pinned by the wrapper modules
#      scripts/pulumi-cli (CLI, v<version>) and scripts/pulumi-cli/langhost (language
#      host, from sdk v3.68.0, see the README there), into
#      <cache>/pulumi-v<version>/bin. First build on 2 cores: ~4-5 min with the Go
#      module cache filled, ~9 min from nothing (~1.4 GB of module downloads, ~1.7 GB
#      of GOCACHE); later runs reuse it in ~0.2 s. Concurrent callers wait on a lock.
#      The YAML language host is pinned by scripts/pulumi-yaml (pulumi-yaml v1.25.0)
#      and built into the same bin/ with its own cache key (~50 s with the module
#      cache filled, ~2 min from nothing), so changing one never rebuilds the other.
#
# Exit status: 0 with the directory printed, non-zero (and nothing printed) on failure.
# The cache, lock and staged install are scripts/lib/go-tool-cache.sh (shared with
# scripts/ensure-actionlint.sh).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/go-tool-cache.sh
source "$SCRIPT_DIR/lib/go-tool-cache.sh"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CLI_MOD_DIR="$SCRIPT_DIR/pulumi-cli"
LANGHOST_MOD_DIR="$CLI_MOD_DIR/langhost"
YAML_MOD_DIR="$SCRIPT_DIR/pulumi-yaml"
YAML_HOST="pulumi-language-yaml"
SDK_PKG_DIR="$REPO_ROOT/node_modules/@pulumi/pulumi"
RESOURCE_PLUGIN="pulumi-resource-pulumi-nodejs"

FORCE_BUILD="${ENSURE_PULUMI_BUILD:-0}"
WANT_YAML=1
for arg in "$@"; do
  case "$arg" in
    --build) FORCE_BUILD=1 ;;
    --no-yaml) WANT_YAML=0 ;; # the demo runs a Node.js program: no YAML host (about a minute of a cold start)
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

# --- the version to provide --------------------------------------------------
# The CLI must not be older than the npm SDK it drives (the Automation API
# refuses older CLIs, and new SDK features need engine support).
[[ -f "$SDK_PKG_DIR/package.json" ]] || die "$SDK_PKG_DIR/package.json not found; run 'npm ci' first"
[[ -x "$SDK_PKG_DIR/$RESOURCE_PLUGIN" ]] || die "$SDK_PKG_DIR/$RESOURCE_PLUGIN missing or not executable"
VERSION="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$SDK_PKG_DIR/package.json" | head -n1)"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read a plain x.y.z version of @pulumi/pulumi (got '$VERSION')"

# cli_version BIN: what `BIN version` prints ("v3.248.0"), or "" if it fails.
# PULUMI_SKIP_UPDATE_CHECK avoids a (failing, slow) call home.
cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tail -n1 | tr -d '[:space:]' || true; }

# install_resource_plugin DIR: put the SDK's dynamic-provider plugin script into
# DIR. A copy, not a symlink: the cache is shared by checkouts that come and go.
# Written via rename so concurrent callers never see a half-written file.
install_resource_plugin() {
  local dir="$1" src="$SDK_PKG_DIR/$RESOURCE_PLUGIN"
  cmp -s "$src" "$dir/$RESOURCE_PLUGIN" 2>/dev/null && return 0
  cp "$src" "$dir/.$RESOURCE_PLUGIN.$$"
  chmod 755 "$dir/.$RESOURCE_PLUGIN.$$"
  mv -f "$dir/.$RESOURCE_PLUGIN.$$" "$dir/$RESOURCE_PLUGIN"
}

# --- 1. a suitable pulumi already on PATH -------------------------------------
if [[ "$FORCE_BUILD" != 1 ]] && command -v pulumi >/dev/null 2>&1; then
  ambient="$(command -v pulumi)"
  ambient_dir="$(cd "$(dirname "$ambient")" && pwd)"
  ambient_version="$(cli_version "$ambient")"
  if [[ "$ambient_version" == v* ]] && version_ge "$ambient_version" "$VERSION" \
     && [[ -x "$ambient_dir/pulumi-language-nodejs" && -x "$ambient_dir/$YAML_HOST" ]]; then
    log "using pulumi $ambient_version from $ambient_dir"
    if [[ -x "$ambient_dir/$RESOURCE_PLUGIN" ]]; then
      # A full Pulumi install (its tarball ships the plugin script too).
      printf '%s\n' "$ambient_dir"
      exit 0
    fi
    # Don't write into someone's install dir: symlink the two binaries into a
    # cache dir and add the plugin script next to them.
    wrap="$CACHE_ROOT/ambient-$(printf '%s' "$ambient_dir" | cksum | cut -d' ' -f1)/bin"
    mkdir -p "$wrap"
    ln -sfn "$ambient_dir/pulumi" "$wrap/pulumi"
    ln -sfn "$ambient_dir/pulumi-language-nodejs" "$wrap/pulumi-language-nodejs"
    ln -sfn "$ambient_dir/$YAML_HOST" "$wrap/$YAML_HOST"
    install_resource_plugin "$wrap"
    printf '%s\n' "$wrap"
    exit 0
  fi
  log "ignoring pulumi on PATH ($ambient: '${ambient_version:-no version}', need >= v$VERSION with pulumi-language-nodejs and $YAML_HOST beside it)"
fi

# --- 2. the cached build ------------------------------------------------------
PREFIX="$CACHE_ROOT/pulumi-v$VERSION"
BIN="$PREFIX/bin"
MARKER="$PREFIX/.build-key"

# Build settings, as in upstream's goreleaser config (plus the version ldflag,
# so `pulumi version` prints v<version>: the Automation API checks it).
BUILD_FLAGS=(-trimpath -tags "osusergo,grpcnotrace")
STRIP_LDFLAGS="-s -w"
VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# The cached build is reused only while everything that determines the
# binaries is unchanged: version, platform, pinned module graphs, build flags.
BUILD_KEY="$(
  {
    printf 'v%s %s\n' "$VERSION" "$(uname -sm)"
    printf '%s\n' "${BUILD_ENV[*]}" "${BUILD_FLAGS[*]}" "$STRIP_LDFLAGS" "$VERSION_VAR"
    cat "$CLI_MOD_DIR/go.mod" "$CLI_MOD_DIR/go.sum" "$LANGHOST_MOD_DIR/go.mod" "$LANGHOST_MOD_DIR/go.sum"
  } | checksum
)"

# --- Go toolchain ---------------------------------------------------------------
# Both wrapper modules declare the Go version Pulumi needs (go.mod `go` line).
GO_NEEDED="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$CLI_MOD_DIR/go.mod")"
ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "go not found; installing Debian's golang (apt-get)"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    if ! { $sudo apt-get update && $sudo apt-get install -y golang; } >&2; then
      die "could not install golang via apt-get"
    fi
  fi
  GO="$(command -v go)"
  local have
  have="$(go_version "$GO")"
  if [[ -n "$have" ]] && version_ge "$have" "1.21"; then
    # Go >= 1.21 fetches the toolchain named by go.mod itself when it is older
    # (GOTOOLCHAIN=auto; golang.org/toolchain comes from the module proxy).
    return 0
  fi
  # Older Go (Debian bookworm's golang is 1.19) cannot even parse these go.mod
  # files. Use it only to download the needed toolchain, which the module proxy
  # serves as the module golang.org/toolchain (checked against the checksum DB,
  # which answers for it through the proxy). Module zips carry no exec bits, so
  # copy it out of the module cache and mark the tools executable. Kept in the
  # cache for later builds.
  local arch tc="$CACHE_ROOT/go$GO_NEEDED"
  case "$(uname -m)" in
    x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) die "unsupported machine $(uname -m)" ;;
  esac
  if [[ ! -x "$tc/bin/go" ]]; then
    log "go ${have:-?} is too old; fetching go$GO_NEEDED from the module proxy"
    local tmp dir
    tmp="$(mktemp -d)"
    dir="$(cd "$tmp" && GO111MODULE=on GOFLAGS=-mod=mod "$GO" mod download -json \
            "golang.org/toolchain@v0.0.1-go$GO_NEEDED.linux-$arch" \
          | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || true
    rm -rf "$tmp"
    [[ -n "$dir" && -f "$dir/bin/go" ]] || die "could not fetch the go$GO_NEEDED toolchain"
    rm -rf "$tc.tmp"
    cp -R "$dir" "$tc.tmp"
    chmod -R u+w "$tc.tmp"
    chmod +x "$tc.tmp"/bin/* "$tc.tmp"/pkg/tool/*/*
    mv "$tc.tmp" "$tc"
  fi
  GO="$tc/bin/go"
}
# go_build MODULE_DIR VERSION OUT PACKAGE: build the main PACKAGE, which lives
# in a dependency of the wrapper module MODULE_DIR, into OUT (BUILD_ENV: see
# scripts/lib/go-tool-cache.sh).
go_build() {
  (cd "$1" && env "${BUILD_ENV[@]}" "$GO" build "${BUILD_FLAGS[@]}" \
    -ldflags "$STRIP_LDFLAGS -X $VERSION_VAR=$2" -o "$3" "$4")
}
pinned_version() { # pinned_version MODULE_DIR MODULE...
  local dir="$1"; shift
  (cd "$dir" && env "${BUILD_ENV[@]}" "$GO" list -m -f '{{.Version}}' "$@")
}

# --- the YAML language host (own cache key: rebuilding it never rebuilds the CLI) --
YAML_MARKER="$PREFIX/.yaml-build-key"
YAML_BUILD_KEY="$(
  {
    printf '%s\n' "$(uname -sm)" "${BUILD_ENV[*]}" "${BUILD_FLAGS[*]}" "$STRIP_LDFLAGS"
    cat "$YAML_MOD_DIR/go.mod" "$YAML_MOD_DIR/go.sum"
  } | checksum
)"
yaml_host_is_good() {
  marker_says "$YAML_MARKER" "$YAML_BUILD_KEY" && [[ -x "$BIN/$YAML_HOST" ]]
}

# build_yaml_host: build pulumi-language-yaml into $BIN (caller holds the lock).
build_yaml_host() {
  ensure_go
  local version stage started=$SECONDS
  version="$(pinned_version "$YAML_MOD_DIR" github.com/pulumi/pulumi-yaml)"
  stage="$(mktemp "$BIN/.$YAML_HOST.XXXXXX")"
  log "go build $YAML_HOST $version (first time: ~1-2 min on 2 cores)…"
  (cd "$YAML_MOD_DIR" && env "${BUILD_ENV[@]}" "$GO" build "${BUILD_FLAGS[@]}" \
    -ldflags "$STRIP_LDFLAGS -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$version" \
    -o "$stage" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml) || { rm -f "$stage"; die "$YAML_HOST build failed"; }
  chmod 755 "$stage"
  mv -f "$stage" "$BIN/$YAML_HOST"
  printf '%s\n' "$YAML_BUILD_KEY" >"$YAML_MARKER"
  log "$YAML_HOST built in $((SECONDS - started))s"
}

cache_is_good() {
  marker_says "$MARKER" "$BUILD_KEY" \
    && [[ -x "$BIN/pulumi" && -x "$BIN/pulumi-language-nodejs" ]] \
    && [[ "$(cli_version "$BIN/pulumi")" == "v$VERSION" ]]
}

finish() {
  install_resource_plugin "$BIN"
  if [[ "$WANT_YAML" == 1 ]] && ! yaml_host_is_good; then
    take_lock "v$VERSION"
    yaml_host_is_good || build_yaml_host
  fi
  printf '%s\n' "$BIN"
  exit 0
}

if cache_is_good; then
  log "using cached pulumi v$VERSION ($BIN)"
  finish
fi

# One builder at a time per version: a second caller waits here, then finds the
# finished build.
take_lock "v$VERSION"
if cache_is_good; then
  log "using pulumi v$VERSION built by a concurrent run ($BIN)"
  finish
fi

ensure_go
log "building pulumi v$VERSION with $("$GO" version) into $BIN"

# Check that the pinned module graph really is the wanted version before
# spending minutes on it (the go.mod must be updated when @pulumi/pulumi is).
pinned="$(pinned_version "$CLI_MOD_DIR" github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 \
          | sort -u | tr '\n' ' ')"
[[ "$pinned" == "v$VERSION " ]] || die "scripts/pulumi-cli pins pulumi ${pinned% } but @pulumi/pulumi is $VERSION;
  update it as described in scripts/pulumi-cli/README.md"
# The language host comes from an older sdk/v3 (see langhost/tools.go for why).
LANGHOST_VERSION="$(pinned_version "$LANGHOST_MOD_DIR" github.com/pulumi/pulumi/sdk/v3)"

new_stage
started=$SECONDS
log "go build pulumi v$VERSION (first time: ~4-9 min on 2 cores)…"
go_build "$CLI_MOD_DIR" "v$VERSION" "$STAGE/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
log "pulumi built in $((SECONDS - started))s"
log "go build pulumi-language-nodejs $LANGHOST_VERSION…"
go_build "$LANGHOST_MOD_DIR" "$LANGHOST_VERSION" "$STAGE/pulumi-language-nodejs" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
built_version="$(cli_version "$STAGE/pulumi")"
[[ "$built_version" == "v$VERSION" ]] || die "built pulumi reports '$built_version', expected v$VERSION"
log "all built in $((SECONDS - started))s"

install_stage "$BUILD_KEY"
finish
