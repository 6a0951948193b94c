// Running the shipped policy pack (policy/, `runtime: nodejs`) through the real engine here.
//
// Why not plainly `--policy-pack policy`: the engine launches a pack through its runtime's language
// plugin (RunPlugin), and the Node language host this project can build (scripts/pulumi-cli/langhost,
// sdk v3.68.0) answers "not supported". The engine has a documented fallback
// (sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer): when NO language plugin
// exists for the pack's runtime, it runs `pulumi-analyzer-policy-<runtime> <engine> .` in the pack's
// directory. So the tests run:
//   - inline programs (the Automation API's in-process language runtime: no language host needed),
//   - with a `pulumi` that has no `pulumi-language-nodejs` beside it or on PATH (a hard link of the
//     cached CLI in a directory of its own: the engine looks next to the resolved executable),
//   - and test/support/policy-analyzer/pulumi-analyzer-policy-nodejs on PATH, which runs the SDK's
//     `@pulumi/pulumi/cmd/run-policy-pack` on the pack directory, unchanged.
// The pack code, its PulumiPolicy.yaml and the engine's policy protocol are the ones users run; only
// the launcher differs (theirs is the language host's RunPlugin).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePulumiCli, REPO_ROOT } from "../../scripts/lib/engine";

export const POLICY_PACK_DIR = path.join(REPO_ROOT, "policy");
const LAUNCHER = path.join(REPO_ROOT, "test", "support", "policy-analyzer", "pulumi-analyzer-policy-nodejs");
const LANGUAGE_HOST = "pulumi-language-nodejs";

export interface PolicyEngine {
  /** A directory with `pulumi`, the dynamic-provider plugin and the analyzer launcher, and no Node language host. */
  cliBin: string;
  /** Environment for localStack: PATH without any directory that holds a Node language host. */
  env: Record<string, string>;
  dispose(): void;
}

/**
 * Hard-link (or, across file systems, copy) the file behind `from` to `to`. A symlink would not do:
 * the engine resolves its own executable's symlinks before looking beside it.
 */
function linkOrCopy(from: string, to: string): void {
  const real = fs.realpathSync(from);
  try {
    fs.linkSync(real, to);
  } catch {
    fs.copyFileSync(real, to);
    fs.chmodSync(to, 0o755);
  }
}

export function policyEngine(): PolicyEngine {
  const realBin = ensurePulumiCli();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sg-policy-engine-"));
  const cliBin = path.join(root, "bin");
  fs.mkdirSync(cliBin);
  linkOrCopy(path.join(realBin, "pulumi"), path.join(cliBin, "pulumi"));
  fs.copyFileSync(path.join(realBin, "pulumi-resource-pulumi-nodejs"), path.join(cliBin, "pulumi-resource-pulumi-nodejs"));
  fs.chmodSync(path.join(cliBin, "pulumi-resource-pulumi-nodejs"), 0o755);
  fs.copyFileSync(LAUNCHER, path.join(cliBin, path.basename(LAUNCHER)));
  fs.chmodSync(path.join(cliBin, path.basename(LAUNCHER)), 0o755);
  const rest = (process.env.PATH ?? "").split(path.delimiter).filter((dir) => dir !== "" && !fs.existsSync(path.join(dir, LANGUAGE_HOST)));
  return {
    cliBin,
    env: { PATH: [cliBin, ...rest].join(path.delimiter) },
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
