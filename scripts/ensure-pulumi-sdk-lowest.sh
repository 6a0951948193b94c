#!/usr/bin/env bash
# Installs the lowest @pulumi/pulumi of the package's peer range (pinned, with its whole tree, by
# scripts/pulumi-sdk-lowest/package-lock.json) outside the repository, and prints, as the last line,
# the directory of that installed @pulumi/pulumi. test/plugin-sdk-versions.test.ts runs the plugin
# with it. Installed once per lockfile and Node.js major version.
#   SENDGRID_BATCH_CACHE  cache root, as for scripts/ensure-pulumi.sh
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/npm-tree.sh
source scripts/lib/npm-tree.sh

# No install scripts: the SDK needs none to serve a provider (protobufjs's is disallowed in the
# package too).
dir="$(ensure_npm_tree pulumi-sdk-lowest scripts/pulumi-sdk-lowest)"
want="$(node -p 'require(process.argv[1]).dependencies["@pulumi/pulumi"]' "$PWD/scripts/pulumi-sdk-lowest/package.json")"
got="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/@pulumi/pulumi/package.json")"
if [[ "$got" != "$want" ]]; then
  echo "ensure-pulumi-sdk-lowest: installed @pulumi/pulumi $got, expected $want" >&2
  exit 1
fi
echo "$dir/node_modules/@pulumi/pulumi"
