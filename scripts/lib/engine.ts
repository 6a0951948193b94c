// Drive the real Pulumi engine (CLI + Automation API) with a throwaway local file backend.
// Used by the demo (`npm start`), the end-to-end tests and the benchmarks.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";

import { REPO_ROOT } from "./repoRoot";

export { REPO_ROOT };

let cliBin: string | undefined;

/**
 * The directory holding `pulumi` (and friends): PULUMI_CLI_BIN if set, else what
 * scripts/ensure-pulumi.sh finds or builds (cached outside the repo; seconds once built).
 */
/** The Pulumi CLI's bin directory, built and cached on first use; `yaml: false` skips the YAML host (the demo). */
export function ensurePulumiCli(opts: { yaml?: boolean } = {}): string {
  if (cliBin) return cliBin;
  const fromEnv = process.env.PULUMI_CLI_BIN;
  if (fromEnv && fs.existsSync(path.join(fromEnv, "pulumi"))) {
    cliBin = fromEnv;
    return cliBin;
  }
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "ensure-pulumi.sh"), ...(opts.yaml === false ? ["--no-yaml"] : [])], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  }).toString();
  const lines = out.trim().split("\n");
  cliBin = lines[lines.length - 1].trim();
  process.env.PULUMI_CLI_BIN = cliBin;
  return cliBin;
}

export interface LocalStackOptions {
  /** An inline program (run in this process; no language host needed) … */
  program?: PulumiFn;
  projectName?: string;
  /** … or a directory holding a Pulumi.yaml project, run by the CLI and its language host. */
  workDir?: string;
  stackName?: string;
  /** Plain config values (project namespace unless the key has a colon). */
  config?: Record<string, string>;
  /** Secret config values, e.g. `{ "sendgrid:apiKey": key }`. */
  secrets?: Record<string, string>;
  /** Extra environment for the CLI and the provider process. */
  env?: Record<string, string>;
  /** Run this directory's `pulumi` instead of ensurePulumiCli()'s (test/support/policyEngine.ts). */
  cliBin?: string;
}

export interface LocalStack {
  stack: Stack;
  /** The file backend's directory: `.pulumi/stacks/<project>/<stack>.json` and history live here. */
  backendDir: string;
  /** Every file the backend wrote (state, history, backups), for leak checks. */
  backendFiles(): string[];
  /** Remove the stack and the backend directory. */
  dispose(): Promise<void>;
}

/** A fresh stack on a throwaway local backend, running `program` inline through the real CLI. */
export async function localStack(opts: LocalStackOptions): Promise<LocalStack> {
  const bin = opts.cliBin ?? ensurePulumiCli();
  const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-pulumi-backend-"));
  const home = path.join(backendDir, "home");
  fs.mkdirSync(home);
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin) });
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_HOME: home,
    PULUMI_CONFIG_PASSPHRASE: "local-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    // The provider's batch journal (core/journal.ts) lives and goes with the throwaway backend.
    SENDGRID_BATCH_JOURNAL: path.join(backendDir, "journal.jsonl"),
    ...opts.env,
  };
  const stackName = opts.stackName ?? "dev";
  let stack: Stack;
  if (opts.workDir) {
    stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: opts.workDir }, { pulumiCommand, envVars });
  } else if (opts.program && opts.projectName) {
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName, projectName: opts.projectName, program: opts.program },
      { pulumiCommand, envVars },
    );
  } else {
    throw new Error("localStack needs either workDir or program and projectName");
  }
  for (const [k, v] of Object.entries(opts.config ?? {})) await stack.setConfig(k, { value: v });
  for (const [k, v] of Object.entries(opts.secrets ?? {})) await stack.setConfig(k, { value: v, secret: true });

  const backendFiles = (): string[] => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (p !== home) walk(p);
        } else out.push(p);
      }
    };
    walk(path.join(backendDir, ".pulumi"));
    return out;
  };

  return {
    stack,
    backendDir,
    backendFiles,
    dispose: async () => {
      // Also removes the stack's Pulumi.<stack>.yaml from a workDir project.
      await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
      fs.rmSync(backendDir, { recursive: true, force: true });
    },
  };
}
