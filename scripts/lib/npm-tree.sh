# shellcheck shell=bash
# One cached npm install per lockfile, outside the repository (sourced by scripts/ensure-*.sh).
#
#   ensure_npm_tree NAME DIR   installs DIR's package.json and package-lock.json (`npm ci`, no install
#                              scripts) into <cache>/NAME-<hash> unless that is already done for the
#                              same lockfile and Node.js major version, then prints that directory
#
# The cache root is SENDGRID_BATCH_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-
# scheduled-batch), as for scripts/ensure-pulumi.sh. Callers running in parallel wait on a lock
# instead of installing the same tree twice. npm's output goes to stderr.

ensure_npm_tree() {
  local name="$1" src="$2"
  local cache="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}"
  local key dir
  key="$(node -p 'process.versions.node.split(".")[0]') $(sha256sum "$src/package-lock.json" | cut -c1-64)"
  dir="$cache/$name-$(printf '%s' "$key" | sha256sum | cut -c1-12)"
  if [[ ! -f "$dir/.done" ]]; then
    mkdir -p "$cache"
    exec 7>"$dir.lock"
    flock 7
    if [[ ! -f "$dir/.done" ]]; then
      rm -rf "$dir"
      mkdir -p "$dir"
      cp "$src/package.json" "$src/package-lock.json" "$dir/"
      (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
      touch "$dir/.done"
    fi
    exec 7>&-
  fi
  echo "$dir"
}
