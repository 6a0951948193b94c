// `npm run rehome -- <owner/repo>`: make this checkout name <owner/repo> as the GitHub repository
// that publishes it. The release runs it with the repository the tag was pushed to
// (.github/workflows/release.yml), so a release from any repository publishes SDKs that download the
// plugin from that repository's releases and a Go module named after it, with nothing to edit first.
//
// The repository is spelled in one form everywhere it appears (`github.com/<owner>/<repo>`: package.json's
// `repository`, the schema's `repository` and `pluginDownloadURL`, the generated SDKs, the Go module
// path and its imports, the construct library's metadata), so rehoming is replacing that string in
// every tracked text file, then sorting the Go files' imports again as the generator's gofmt does
// (the new path may sort elsewhere); test/release-rehome.test.ts holds the result to what the
// generator makes of the rehomed schema.
// Usage: node dist/scripts/release/rehome.js <owner/repo>

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { githubRepository, type PackageInfo } from "../../plugin/schema";
import { REPO_ROOT } from "../lib/repoRoot";

const OWNER_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** The files `root`'s git tracks that hold `needle` (binary files skipped). */
function trackedFilesHolding(root: string, needle: string): string[] {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
    .toString()
    .split("\0")
    .filter(Boolean);
  return files.filter((f) => {
    const p = path.join(root, f);
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) return false;
    const bytes = fs.readFileSync(p);
    return !bytes.includes(0) && bytes.includes(needle);
  });
}

/**
 * Rewrites `github.com/<from>` to `github.com/<to>` in every tracked file of `root`; returns the files
 * changed. Without `gofmt` on PATH the Go files keep their imports' old order (they compile the same;
 * the release's `go` job has Go), and `gofmt` says so.
 */
export function rehome(root: string, to: string): { from: string; changed: string[]; gofmt: "done" | "none" | "missing" } {
  if (!OWNER_REPO.test(to)) throw new Error(`rehome: "${to}" is not a GitHub <owner>/<repo>`);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageInfo;
  const from = githubRepository(pkg.repository);
  if (from === to) return { from, changed: [], gofmt: "none" };
  const needle = `github.com/${from}`;
  const changed = trackedFilesHolding(root, needle);
  for (const f of changed) {
    const p = path.join(root, f);
    fs.writeFileSync(p, fs.readFileSync(p, "utf8").split(needle).join(`github.com/${to}`));
  }
  const goFiles = changed.filter((f) => f.endsWith(".go")).map((f) => path.join(root, f));
  if (goFiles.length === 0) return { from, changed, gofmt: "none" };
  const gofmt = spawnSync("gofmt", ["-w", ...goFiles], { encoding: "utf8" });
  if ((gofmt.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return { from, changed, gofmt: "missing" };
  if (gofmt.status !== 0) throw new Error(`rehome: gofmt failed: ${gofmt.stderr || gofmt.error}`);
  return { from, changed, gofmt: "done" };
}

if (require.main === module) {
  const [to] = process.argv.slice(2);
  if (!to) {
    console.error("usage: rehome.js <owner/repo>");
    process.exit(2);
  }
  try {
    const { from, changed, gofmt } = rehome(REPO_ROOT, to);
    console.log(changed.length ? `rehome: ${from} → ${to} in ${changed.length} files` : `rehome: already ${to}`);
    if (gofmt === "missing")
      console.warn("rehome: gofmt is not on PATH, so sdk/go's imports keep their old order (Go compiles them the same)");
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
