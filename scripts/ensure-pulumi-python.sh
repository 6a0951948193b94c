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
# shellcheck source=lib/python-venv.sh
source scripts/lib/python-venv.sh

version="$(node -p 'require("@pulumi/pulumi/package.json").version')"
# sdk/python's dependencies besides pulumi (its pyproject.toml: parver, semver) and its build backend.
requirements=("pulumi==$version" "parver==1.0.1.post0" "semver==3.1.2" "setuptools==80.9.0")
ensure_venv "pulumi-python-$version" "${requirements[@]}"
