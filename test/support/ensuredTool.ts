// A tool a scripts/ensure-*.sh provisions (built or installed once, cached outside the repo): the
// script prints its path as its last line; `npm test` runs it first and passes the path in an
// environment variable, so a suite run alone provisions it itself.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/repoRoot";

export function ensuredTool(envVar: string, script: string): string {
  const given = process.env[envVar];
  if (given) return given;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", script)], { encoding: "utf8", timeout: 900_000 });
  return out.trim().split("\n").pop() ?? "";
}
