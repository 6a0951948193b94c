#!/usr/bin/env bash
# `npm run test:oracle -- --runs N [--seed S] [--max-commands M] [--path P]`: the mail oracle
# (test/mail-oracle.test.ts) over more sequences than `npm test` runs. Builds first (the oracle's
# killed and disk-full provider processes and its Lambda run the built code), prints the seed, and
# ends with one plain "N passed, N failed" line (sequences). --explore goes on past a failing sequence
# (no shrinking) and prints each one with its run number, to see everything a seed finds.
set -euo pipefail
cd "$(dirname "$0")/.."

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) export ORACLE_RUNS="$2"; shift 2 ;;
    --seed) export ORACLE_SEED="$2"; shift 2 ;;
    --max-commands) export ORACLE_MAX_COMMANDS="$2"; shift 2 ;;
    --path) export ORACLE_PATH="$2"; shift 2 ;;
    --verbose) export ORACLE_VERBOSE=1; shift ;;
    --explore) export ORACLE_EXPLORE=1; shift ;;
    *) echo "usage: npm run test:oracle -- --runs N [--seed S] [--max-commands M] [--path P] [--verbose] [--explore]" >&2; exit 2 ;;
  esac
done

# npm test keeps one fixed seed; here a new one each time unless given.
export ORACLE_SEED="${ORACLE_SEED:-$(node -e 'process.stdout.write(String(Math.floor(Math.random() * 2 ** 31)))')}"
npm run --silent build
npm run --silent build:lambda >/dev/null
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
export ORACLE_SUMMARY="$summary"
status=0
npx jest --ci test/mail-oracle.test.ts || status=$?
if [ -s "$summary" ]; then cat "$summary"; else echo "0 passed, 1 failed"; fi
exit "$status"
