// `npm run dist`: every artifact a release publishes that this machine can build, into dist-release/
// (gitignored), all at package.json's version:
//   pulumi-resource-sendgrid-batch-v<version>-<os>-<arch>.tar.gz (+ .sha256)  the plugin for this machine
//   pulumi-sendgrid-scheduled-batch-<version>.tgz                            the npm package
//   pulumi_sendgrid_batch-<version>.tar.gz, …-py3-none-any.whl              the Python SDK (sdist, wheel)
// The release workflow (.github/workflows/release.yml) runs the plugin part once per platform.
// Usage: node dist/scripts/release/index.js [--out DIR] [--only plugin|npm|python]

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../lib/repoRoot";
import { buildPluginTarball, packageVersion } from "./pluginExecutable";

const log = (line: string) => process.stderr.write(`dist: ${line}\n`);

/** The cached venv's python (scripts/ensure-pulumi-python.sh: it has setuptools, the SDK's build backend). */
function python(): string {
  if (process.env.PULUMI_PYTHON) return process.env.PULUMI_PYTHON;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "ensure-pulumi-python.sh")], { encoding: "utf8" });
  return out.trim().split("\n").pop() ?? "";
}

/** The Python SDK's sdist and wheel, built offline by its own backend (setuptools) from a copy of sdk/python. */
export function buildPythonSdk(outDir: string): string[] {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "sg-dist-python-"));
  try {
    fs.cpSync(path.join(REPO_ROOT, "sdk", "python"), copy, { recursive: true });
    const script = [
      "import sys, setuptools.build_meta as backend",
      "out = sys.argv[1]",
      // setuptools prints its progress on stdout too: the file names are the lines marked.
      'print("artifact:" + backend.build_sdist(out))',
      'print("artifact:" + backend.build_wheel(out))',
    ].join("\n");
    const names = execFileSync(python(), ["-c", script, path.resolve(outDir)], {
      cwd: copy,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return names
      .split("\n")
      .filter((line) => line.startsWith("artifact:"))
      .map((line) => path.join(outDir, line.slice("artifact:".length).trim()));
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** The npm package, as `npm publish` would upload it (its prepack builds dist/ and the Lambda bundle). */
export function buildNpmPackage(outDir: string): string {
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", path.resolve(outDir)], { cwd: REPO_ROOT, encoding: "utf8" });
  return path.join(outDir, out.trim().split("\n").pop() ?? "");
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf("--out");
  const outDir = path.resolve(outIndex >= 0 ? argv[outIndex + 1] : path.join(REPO_ROOT, "dist-release"));
  const onlyIndex = argv.indexOf("--only");
  const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
  if (only !== undefined && !["plugin", "npm", "python"].includes(only)) throw new Error(`--only ${only}: expected plugin, npm or python`);
  const wanted = (part: string) => only === undefined || only === part;
  fs.mkdirSync(outDir, { recursive: true });
  const version = packageVersion();
  log(`version ${version}, into ${outDir}`);

  const artifacts: string[] = [];
  if (wanted("plugin")) {
    const plugin = await buildPluginTarball(outDir, log);
    artifacts.push(plugin.tarball, plugin.checksum);
    log(`${path.basename(plugin.tarball)} (${plugin.executable.cached ? "executable from the cache" : "executable built"})`);
  }
  if (wanted("npm")) artifacts.push(buildNpmPackage(outDir));
  if (wanted("python")) artifacts.push(...buildPythonSdk(outDir));
  for (const file of artifacts) {
    process.stdout.write(`${path.relative(process.cwd(), file)}\t${fs.statSync(file).size}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
