#!/usr/bin/env bash
# Builds the jsii construct library (cdk-constructs/) outside the repository and prints the path of
# the build: its compiled lib/, .jsii assembly, API.md (jsii-docgen) and dist/ (jsii-pacmak: js/ the
# npm tarball, python/ the wheel and sdist; java/, dotnet/ and go/ the generated sources). Reused
# while its inputs are unchanged.
#
# The library has no construct code of its own: its src/ is a copy, made here at each build, of
# cdk/ (the constructs the `./cdk` entry point also exports) and core/ (the rules they check with,
# shared with the handler), and lambda/dist/index.js is the handler bundle it ships. Its dependencies
# (jsii, jsii-pacmak, jsii-docgen, aws-cdk-lib at the library's floor; cdk-constructs/package-lock.json)
# are installed once per lockfile; it has no runtime dependency besides its peers.
#
# Java, .NET and Go are generated as sources (jsii-pacmak --code-only): compiling them needs Maven
# Central, NuGet or the aws-cdk-go module, which the test runs cannot reach; Python is built and
# installed by test/cdk-python.test.ts.
#   SENDGRID_BATCH_CACHE  cache root, as for scripts/ensure-pulumi.sh
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
cache="${SENDGRID_BATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sendgrid-scheduled-batch}"
mkdir -p "$cache"
# jsii's tools print a banner on Node.js 20 (past its end of life for them); the build works.
JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$(node -p 'process.versions.node.split(".")[0]')"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION

# The handler bundle the library ships (npm test builds it first).
[[ -f lambda/dist/index.js ]] || npm run --silent build:lambda >&2

# The copied sources: the constructs and the core (tsconfig.jsii.json
# compiles what cdk/index.ts reaches: the core's pure modules, no SendGrid client).
sources=(cdk/*.ts core/*.ts)
package_files=(cdk-constructs/package.json cdk-constructs/package-lock.json cdk-constructs/tsconfig.jsii.json cdk-constructs/README.md)

# 1. Dependencies, once per lockfile and Node.js major version.
# shellcheck source=lib/npm-tree.sh
source scripts/lib/npm-tree.sh
deps="$(ensure_npm_tree cdk-constructs-deps cdk-constructs)"

# 2. The build, once per content of its inputs.
key="$(sha256sum "${sources[@]}" "${package_files[@]}" lambda/dist/index.js scripts/ensure-cdk-constructs.sh)"
build="$cache/cdk-constructs-$(printf '%s' "$key" | sha256sum | cut -c1-12)"
if [[ ! -f "$build/.done" ]]; then
  exec 9>"$build.lock"
  flock 9
  if [[ ! -f "$build/.done" ]]; then
    rm -rf "$build" "$build.tmp"
    stage="$build.tmp"
    mkdir -p "$stage/src" "$stage/lambda/dist"
    cp "${package_files[@]}" "$stage/"
    cp -r cdk core "$stage/src/"
    cp lambda/dist/index.js "$stage/lambda/dist/"
    ln -s "$deps/node_modules" "$stage/node_modules"
    seconds() { local start=$SECONDS; "$@" >&2; echo $((SECONDS - start)); }
    cd "$stage"
    jsii="$(seconds npx --no-install jsii --fail-on-warnings)"
    docgen="$(seconds npx --no-install jsii-docgen --output API.md)"
    python="$(seconds npx --no-install jsii-pacmak --targets js python --force-subdirectory)"
    sources_only="$(seconds npx --no-install jsii-pacmak --code-only --targets java dotnet go --force-subdirectory)"
    printf '{"jsiiSeconds":%s,"docgenSeconds":%s,"pacmakJsPythonSeconds":%s,"pacmakCodeOnlySeconds":%s}\n' \
      "$jsii" "$docgen" "$python" "$sources_only" >timings.json
    printf '%s\n' "$key" >.key
    cd "$repo"
    mv "$stage" "$build"
    touch "$build/.done"
    # Builds of older inputs (another branch, an earlier edit) go after a week unused.
    find "$cache" -maxdepth 1 -type d -name 'cdk-constructs-????????????' ! -path "$build" -mtime +7 -exec rm -rf {} + 2>/dev/null || true
  fi
fi
echo "$build"
