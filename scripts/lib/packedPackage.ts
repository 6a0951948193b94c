// This package as a user gets it: `npm pack` of the built package, unpacked into a project's
// node_modules as `npm install <tarball>` would. Every other package is a symlink into this
// repository's node_modules (no registry needed); NODE_PRESERVE_SYMLINKS=1 (in `env`) keeps module
// resolution inside the project, so @pulumi/pulumi finds the installed package, not this checkout.
// Shared by the serialization test and the benchmarks.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./repoRoot";

export const PACKAGE_NAME = "pulumi-sendgrid-scheduled-batch";

let tarball: string | undefined;
/** `npm pack` of the current build (dist/ must be built), once per process. */
export function packedTarball(): string {
  if (tarball) return tarball;
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "sg-pack-"));
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dest], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  tarball = path.join(dest, out.trim().split("\n").pop() ?? "");
  return tarball;
}

/**
 * A project directory whose node_modules holds the packed package: `linked: false` unpacks it in
 * node_modules (an install); `linked: true` unpacks it beside and symlinks it in (npm link, `file:`).
 */
export function projectWithPackage(opts: { linked: boolean; files?: Record<string, string> }): {
  dir: string;
  env: Record<string, string>;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-project-"));
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules);
  const unpackTo = opts.linked ? path.join(dir, "linked-package") : path.join(modules, PACKAGE_NAME);
  fs.mkdirSync(unpackTo);
  execFileSync("tar", ["xzf", packedTarball(), "-C", unpackTo, "--strip-components=1"]);
  if (opts.linked) fs.symlinkSync(unpackTo, path.join(modules, PACKAGE_NAME), "dir");
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, "node_modules"))) {
    if (entry === PACKAGE_NAME || entry.startsWith(".")) continue;
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules", entry), path.join(modules, entry), "dir");
  }
  for (const [name, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
  return { dir, env: opts.linked ? {} : { NODE_PRESERVE_SYMLINKS: "1" } };
}
