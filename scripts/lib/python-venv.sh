# shellcheck shell=bash
# One cached virtualenv per set of pins, outside the repository (sourced by scripts/ensure-*.sh).
#
#   ensure_venv NAME REQUIREMENT...   builds <cache>/NAME-venv with exactly those pins unless it is
#                                     already there for the same pins and the same Python, then
#                                     prints the path of its python
#
# The cache root is SENDGRID_BATCH_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-
# scheduled-batch), as for scripts/ensure-pulumi.sh. Callers running in parallel wait on a lock
# instead of building the same venv twice. Progress goes to stderr.

ensure_venv() {
  local name="$1"
  shift
  command -v python3 >/dev/null || { echo "ensure_venv: python3 (with venv) is required" >&2; return 1; }
  local venv="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}/$name-venv"
  local key
  key="$(python3 --version 2>&1) $*"
  if ! venv_is "$venv" "$key"; then
    mkdir -p "$(dirname "$venv")"
    exec 9>"$venv.lock"
    flock 9
    if ! venv_is "$venv" "$key"; then
      rm -rf "$venv"
      python3 -m venv "$venv" >&2
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
      printf '%s\n' "$key" >"$venv/.key"
    fi
    exec 9>&-
  fi
  echo "$venv/bin/python"
}

# Whether VENV holds a python built for KEY (the Python's version and the pins).
venv_is() {
  [[ -x "$1/bin/python" && -f "$1/.key" && "$(cat "$1/.key")" == "$2" ]]
}
