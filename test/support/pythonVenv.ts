// A throwaway Python venv for the SDK tests: it sees the cached venv of scripts/ensure-pulumi-python.sh
// (pulumi==<the CLI's version> and the SDK's declared dependencies) through a .pth line, so nothing
// is downloaded and the cache is never written; pip installs into it with no package index.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import { ensuredTool } from "./ensuredTool";

export const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 }).toString();

export interface Venv {
  /** The cached venv's python (its pip installs into the fresh one). */
  cached: string;
  /** The fresh venv's python. */
  python: string;
  dir: string;
}

/** A fresh venv at `dir` that sees the cached one's packages. */
export function freshVenv(dir: string): Venv {
  const cached = ensuredTool("PULUMI_PYTHON", "ensure-pulumi-python.sh");
  run(cached, ["-m", "venv", "--without-pip", dir]);
  const python = path.join(dir, "bin", "python");
  const sitePackages = (py: string) => run(py, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).trim();
  fs.writeFileSync(path.join(sitePackages(python), "pulumi-venv.pth"), `${sitePackages(cached)}\n`);
  return { cached, python, dir };
}

/** pip install `what` (a source tree or a wheel) into the venv, offline and without build isolation. */
export function pipInstall(venv: Venv, what: string): void {
  run(venv.cached, ["-m", "pip", "--python", venv.python, "install", "--quiet", "--no-index", "--no-build-isolation", what]);
}
