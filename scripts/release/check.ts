// The release workflow's first step (.github/workflows/release.yml): the tag is v<package.json's
// version>, and the repository running the release is the one package.json's `repository` names
// (the one setting the schema's pluginDownloadURL and the Go module path come from, and that npm's
// provenance checks). Anything else would publish SDKs that download the plugin from, or import
// the Go module from, somewhere the release is not.
// Usage: node dist/scripts/release/check.js <tag> <owner/repo>

import * as fs from "node:fs";
import * as path from "node:path";
import { githubRepository, type PackageInfo } from "../../plugin/schema";
import { REPO_ROOT } from "../lib/repoRoot";

export function releaseProblems(tag: string, repository: string, pkg: PackageInfo): string[] {
  const problems: string[] = [];
  if (tag !== `v${pkg.version}`)
    problems.push(
      `the tag is ${tag} but package.json's version is ${pkg.version}: tag v${pkg.version}, or bump the version and run \`npm run sdk\``,
    );
  const named = githubRepository(pkg.repository);
  if (named.toLowerCase() !== repository.toLowerCase()) {
    problems.push(
      `this release runs in ${repository} but package.json's repository names ${named}: set "repository" to https://github.com/${repository} and run \`npm run sdk\` (the SDKs download the plugin from, and the Go module is named after, that repository)`,
    );
  }
  return problems;
}

if (require.main === module) {
  const [tag, repository] = process.argv.slice(2);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageInfo;
  const problems = tag && repository ? releaseProblems(tag, repository, pkg) : ["usage: check.js <tag> <owner/repo>"];
  for (const p of problems) console.error(`release check: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log(`release check: ${tag} of ${repository}, version ${pkg.version}`);
}
