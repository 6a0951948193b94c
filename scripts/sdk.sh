#!/usr/bin/env bash
# sdk.sh (`npm run sdk`) — regenerate sdk/python, sdk/go and sdk/nodejs from the plugin's schema.
#
# Usage: scripts/sdk.sh [--out DIR] [--schema FILE] [--schema-only]
#   --out DIR      write DIR/{python,go,nodejs} instead of sdk/ (the staleness test compares the two)
#   --schema FILE  generate from FILE instead of the built plugin's schema
#   --schema-only  print the check report (Pulumi's binder diagnostics, unknown keys) and stop
#
# The schema is exactly what the plugin's GetSchema serves (plugin/schema.ts plus package.json's
# version and repository), read from the built dist/ (so run `npm run build` first; `npm run sdk` does). The
# generator is scripts/sdkgen, built and cached by scripts/ensure-sdkgen.sh. Any binder diagnostic
# (warnings too) or unknown schema key stops it before anything is written.
set -euo pipefail
cd "$(dirname "$0")/.."

out="sdk"
mode="gen"
given=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --schema) given="$2"; shift 2 ;;
    --schema-only) mode="check"; shift ;;
    *) echo "sdk.sh: unknown argument $1 (see the header of scripts/sdk.sh)" >&2; exit 2 ;;
  esac
done

sdkgen="$(bash scripts/ensure-sdkgen.sh | tail -n 1)"
schema="$(mktemp)"
trap 'rm -f "$schema"' EXIT
if [[ -n "$given" ]]; then
  cp "$given" "$schema"
else
  node -e '
    const { sendgridBatchProvider } = require("./dist/plugin/provider.js");
    process.stdout.write(sendgridBatchProvider(require("./package.json")).provider.schema);
  ' >"$schema"
fi

if [[ "$mode" == check ]]; then
  status=0
  "$sdkgen" check "$schema" || status=$?
  exit "$status"
fi
"$sdkgen" gen "$schema" "$out"
echo "sdk.sh: wrote $out/python, $out/go, $out/nodejs" >&2
