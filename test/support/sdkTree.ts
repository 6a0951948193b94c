// The generated SDKs of a checkout against what the generator makes of a schema: the staleness test
// (sdk-generate) and the rehomed-release test (release-rehome) both ask whether sdk/ is exactly the
// generator's output.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/repoRoot";

export const SDK_LANGUAGES = ["python", "go", "nodejs"] as const;

/** Runs scripts/sdk.sh on `schema` (a file), writing `out`/{python,go,nodejs}. */
export function generateSdks(schema: string, out: string): void {
  execFileSync("bash", [path.join(REPO_ROOT, "scripts", "sdk.sh"), "--schema", schema, "--out", out], { cwd: REPO_ROOT, stdio: "pipe" });
}

/** The files git would commit under `dir` of the checkout `root` (tracked or new, not ignored), relative to `dir`. */
function committable(root: string, dir: string): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", dir], { cwd: root })
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((f) => path.relative(dir, f))
    .filter((f) => fs.existsSync(path.join(root, dir, f)))
    .sort();
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** How `root`'s sdk/ differs from the generated `out` (one line a file; none when current). */
export function staleSdkFiles(root: string, out: string): string[] {
  const stale: string[] = [];
  for (const lang of SDK_LANGUAGES) {
    const committed = committable(root, `sdk/${lang}`);
    const generated = filesUnder(path.join(out, lang));
    for (const f of new Set([...committed, ...generated])) {
      if (!committed.includes(f)) stale.push(`sdk/${lang}/${f}: generated, not in sdk/`);
      else if (!generated.includes(f)) stale.push(`sdk/${lang}/${f}: in sdk/, no longer generated`);
      else if (!fs.readFileSync(path.join(root, "sdk", lang, f)).equals(fs.readFileSync(path.join(out, lang, f))))
        stale.push(`sdk/${lang}/${f}: differs`);
    }
  }
  return stale;
}
