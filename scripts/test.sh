#!/usr/bin/env bash
# The project's test command (`npm test`): format and lint check, build, provision the tools the suite needs (a Pulumi
# CLI and the SDK generator built from Pulumi's Go modules, cfn-lint and Pulumi's Python SDK from PyPI — all cached
# outside the repo), run
# every test, and end with one plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

npx biome ci .                  # formatter and linter: zero findings (`npm run format` fixes)
npm run --silent build
npx tsc -p tsconfig.test.json   # type-check the tests too (jest transpiles them without checking)
npm run --silent build:lambda

PULUMI_CLI_BIN="$(bash scripts/ensure-pulumi.sh | tail -n 1)"
CFN_LINT="$(bash scripts/ensure-cfn-lint.sh | tail -n 1)"
ACTIONLINT="$(bash scripts/ensure-actionlint.sh | tail -n 1)"
# The SDK generator (Go, after the CLI: same Pulumi modules) and Pulumi's Python SDK for sdk/python.
SDKGEN="$(bash scripts/ensure-sdkgen.sh | tail -n 1)"
PULUMI_PYTHON="$(bash scripts/ensure-pulumi-python.sh | tail -n 1)"
# The jsii construct library built from cdk/ (after build:lambda: it ships the bundle; cached by the
# hash of its inputs) and the Python CDK app's pins (aws-cdk-lib at the library's floor, cdk-nag).
CDK_CONSTRUCTS="$(bash scripts/ensure-cdk-constructs.sh | tail -n 1)"
CDK_PYTHON="$(bash scripts/ensure-cdk-python.sh | tail -n 1)"
# The lowest @pulumi/pulumi of the peer range, which the plugin is tested against beside the project's own.
PULUMI_SDK_LOWEST="$(bash scripts/ensure-pulumi-sdk-lowest.sh | tail -n 1)"
export PULUMI_CLI_BIN CFN_LINT ACTIONLINT SDKGEN PULUMI_PYTHON CDK_CONSTRUCTS CDK_PYTHON PULUMI_SDK_LOWEST
# Compile the generated Go SDK and its mocks test (minutes the first time, Go's build cache keeps
# them) before the suites run in parallel; test/sdk-go.test.ts then vets and runs them, and reports
# any failure.
GO="$(bash -c 'source scripts/lib/go-tool-cache.sh && find_go')"
(cd test/sdk-go && CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false -trimpath" "$GO" test -count=1 -run '^$' ./... >/dev/null 2>&1) || true

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
npx jest --ci --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$results" || true
exit "$status"
