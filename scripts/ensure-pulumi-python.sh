#!/usr/bin/env bash
# Installs Pulumi's Python SDK (PyPI `pulumi`, the version of the locked @pulumi/pulumi, so the
# CLI, the npm SDK and the Python SDK are one Pulumi) into a cached virtualenv outside the
# repository, with what building and running the generated sdk/python needs, and prints the path of
# that venv's python. Reused while the pins and the Python are unchanged. The venv is never written
# to afterwards: the SDK test installs sdk/python into a throwaway venv that sees this one.
#   SENDGRID_BATCH_CACHE  cache root, as for scripts/ensure-pulumi.sh
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(node -p 'require("@pulumi/pulumi/package.json").version')"
# sdk/python's dependencies besides pulumi (its pyproject.toml: parver, semver) and its build backend.
requirements=("pulumi==$version" "parver==1.0.1.post0" "semver==3.1.2" "setuptools==80.9.0")
venv="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}/pulumi-python-$version-venv"
python="$venv/bin/python"
key="$(python3 --version 2>&1) ${requirements[*]}"

command -v python3 >/dev/null || { echo "ensure-pulumi-python: python3 (with venv) is required" >&2; exit 1; }
is_good() { [[ -x "$python" && -f "$venv/.key" && "$(cat "$venv/.key")" == "$key" ]]; }

if ! is_good; then
  mkdir -p "$(dirname "$venv")"
  # A lock so parallel runs do not build the same venv at once.
  exec 9>"$venv.lock"
  flock 9
  if ! is_good; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}" >&2
    printf '%s\n' "$key" >"$venv/.key"
  fi
fi
echo "$python"
