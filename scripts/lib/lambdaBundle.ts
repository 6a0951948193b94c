// Building the Lambda bundle and the runtime's NODE_PATH, shared by the tests and the benchmarks.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT as ROOT } from "./repoRoot";

let sdkDir: string | undefined;
/** A directory holding only the @aws-sdk packages (symlinks), as the Lambda runtime provides them. */
export function sdkOnlyNodePath(): string {
  if (sdkDir) return sdkDir;
  sdkDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-runtime-sdk-"));
  fs.mkdirSync(path.join(sdkDir, "@aws-sdk"));
  for (const pkg of fs.readdirSync(path.join(ROOT, "node_modules", "@aws-sdk"))) {
    fs.symlinkSync(path.join(ROOT, "node_modules", "@aws-sdk", pkg), path.join(sdkDir, "@aws-sdk", pkg));
  }
  return sdkDir;
}

/** Build the bundle with the project's script into a temp dir (or `outdir`); returns the path of index.js. */
export function buildBundle(outdir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-build-"))): { file: string; buildOutput: string } {
  const buildOutput = execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-lambda.js"), "--outdir", outdir], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { file: path.join(outdir, "index.js"), buildOutput };
}
