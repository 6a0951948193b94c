#!/usr/bin/env bash
# A cached virtualenv (outside the repository) with what a Python CDK app of this repository needs
# besides the construct library itself: examples/cdk-python/requirements.txt's pins from PyPI
# (aws-cdk-lib, constructs, and with them the jsii runtime) and cdk-nag (what test/cdk-python.test.ts
# checks the app with). Prints the path of the venv's python. Reused while the pins and the Python
# are unchanged; never written to afterwards: the test installs the built wheel into a throwaway venv
# that sees this one.
#   SENDGRID_BATCH_CACHE  cache root, as for scripts/ensure-pulumi.sh
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "ensure-cdk-python: python3 (with venv) is required" >&2; exit 1; }
# The example's pins, without the construct library (built here, not on PyPI), and cdk-nag.
mapfile -t requirements < <(grep -Ev '^\s*(#|$)|^sendgrid-scheduled-batch-cdk' examples/cdk-python/requirements.txt)
requirements+=("cdk-nag==3.0.2")
key="$(python3 --version 2>&1) ${requirements[*]}"
hash="$(printf '%s' "$key" | sha256sum | cut -c1-12)"
venv="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}/cdk-python-$hash-venv"
python="$venv/bin/python"

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
