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
# shellcheck source=lib/python-venv.sh
source scripts/lib/python-venv.sh

# The example's pins, without the construct library (built here, not on PyPI), and cdk-nag.
mapfile -t requirements < <(grep -Ev '^\s*(#|$)|^sendgrid-scheduled-batch-cdk' examples/cdk-python/requirements.txt)
requirements+=("cdk-nag==3.0.2")
# The venv is named by its pins (and the Python), so a change of pins builds a new one beside the old.
hash="$(printf '%s' "$(python3 --version 2>&1) ${requirements[*]}" | sha256sum | cut -c1-12)"
ensure_venv "cdk-python-$hash" "${requirements[@]}"
