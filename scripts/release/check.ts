// The release workflow's first step (.github/workflows/release.yml): the tag is v<package.json's
// version>, the one version the npm package, the schema, every SDK and the plugin executable carry.
// (The repository is not checked: each job rehomes the checkout to the repository running the
// release first, scripts/release/rehome.ts.)
// Usage: node dist/scripts/release/check.js <tag>

import * as fs from "node:fs";
import * as path from "node:path";
import type { PackageInfo } from "../../plugin/schema";
import { REPO_ROOT } from "../lib/repoRoot";

export function releaseProblems(tag: string, pkg: PackageInfo): string[] {
  const problems: string[] = [];
  if (tag !== `v${pkg.version}`)
    problems.push(
      `the tag is ${tag} but package.json's version is ${pkg.version}: tag v${pkg.version}, or bump the version and run \`npm run sdk\``,
    );
  return problems;
}

if (require.main === module) {
  const [tag] = process.argv.slice(2);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageInfo;
  const problems = tag ? releaseProblems(tag, pkg) : ["usage: check.js <tag>"];
  for (const p of problems) console.error(`release check: ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log(`release check: ${tag}, version ${pkg.version}`);
}
