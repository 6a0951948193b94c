#!/usr/bin/env bash
# Installs cfn-lint (AWS's CloudFormation linter; PyPI only — the npm "cfn-lint" is an unrelated,
# stale validator) into a cached virtualenv outside the repository, and prints the path of the
# binary. Reused when the pinned version is already there.
#   CFN_LINT_VERSION      pin (default below)
#   SENDGRID_BATCH_CACHE  cache root, as for scripts/ensure-pulumi.sh
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
set -euo pipefail

version="${CFN_LINT_VERSION:-1.58.0}"
venv="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}/cfn-lint-venv"
bin="$venv/bin/cfn-lint"

if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "cfn-lint $version" ]]; then
  echo "$bin"
  exit 0
fi

command -v python3 >/dev/null || { echo "ensure-cfn-lint: python3 is required" >&2; exit 1; }
mkdir -p "$(dirname "$venv")"
# A lock so parallel test workers do not build the same venv at once.
exec 9>"$venv.lock"
flock 9
if ! { [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "cfn-lint $version" ]]; }; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "cfn-lint==$version" >&2
fi
echo "$bin"
