// The `pulumi` CLI as an operator runs it: a Pulumi.yaml project in a temp directory, a local file
// backend (`pulumi login file://…`), commands run as child processes that can be signalled or
// killed mid-run, and `pulumi stack export` read back. Every command is bounded in time.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, ensurePulumiCli } from "../../scripts/lib/engine";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StackExport {
  deployment: {
    resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
    pending_operations?: { type: string; resource: { urn: string; id?: string } }[];
  };
}

export interface CliProject {
  dir: string;
  /** The provider's batch journal (SENDGRID_BATCH_JOURNAL) of this project's runs. */
  journal: string;
  env: NodeJS.ProcessEnv;
  /** Run `pulumi ARGS` to completion (killed after timeoutMs). */
  pulumi(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** Start `pulumi ARGS` in its own process group and return at once. */
  start(args: string[]): { child: ChildProcess; done: Promise<CliResult> };
  exportState(): Promise<StackExport>;
  /** Run a built bin of this package (e.g. dist/cli/sendgrid-batches.js) in the project directory. */
  node(script: string, args: string[], timeoutMs?: number): Promise<CliResult>;
  dispose(): void;
}

/** A JavaScript program (no TypeScript compile on a busy machine) declaring `count` paused batches. */
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { ScheduledBatch } = require("pulumi-sendgrid-scheduled-batch");
const config = new pulumi.Config();
const count = Number(config.require("count"));
const batches = [];
for (let i = 0; i < count; i++) {
  batches.push(new ScheduledBatch("batch" + i, { status: "paused", apiUrl: config.require("apiUrl") }));
}
exports.batchIds = batches.map((b) => b.batchId);
`;

function collect(child: ChildProcess, timeoutMs: number | undefined): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  return new Promise((resolve) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[test] killed after ${timeoutMs} ms`;
            killTree(child.pid);
          }, timeoutMs);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh project with its own backend and PULUMI_HOME; `pulumi login`, `stack init` and config done. */
export async function cliProject(opts: {
  name: string;
  config: Record<string, string>;
  env?: Record<string, string>;
}): Promise<CliProject> {
  const bin = ensurePulumiCli();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `sg-cli-${opts.name}-`));
  const dir = path.join(root, "project");
  const backend = path.join(root, "backend");
  fs.mkdirSync(dir);
  fs.mkdirSync(path.join(backend, "home"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${opts.name}\nruntime: nodejs\nmain: index.js\n`);
  fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
  // The program and the provider plugin resolve @pulumi/pulumi and this package from here.
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("PULUMI_")) delete env[k];
  Object.assign(env, {
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(backend, "home"),
    PULUMI_CONFIG_PASSPHRASE: "local-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The provider's batch journal (core/journal.ts), beside the project as a CI artifact would be.
    SENDGRID_BATCH_JOURNAL: path.join(root, "journal.jsonl"),
    ...opts.env,
  });

  const start = (args: string[]) => {
    // detached: its own process group, as a CI runner's job is; the plugins make their own groups.
    const child = spawn(path.join(bin, "pulumi"), args, { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    return { child, done: collect(child, undefined) };
  };
  const pulumi = async (args: string[], timeoutMs = 180_000): Promise<CliResult> => {
    const child = spawn(path.join(bin, "pulumi"), args, { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    return collect(child, timeoutMs);
  };
  const must = async (args: string[]) => {
    const r = await pulumi(args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  await must(["login", `file://${backend}`]);
  await must(["stack", "init", "dev"]);
  for (const [k, v] of Object.entries(opts.config)) await must(["config", "set", k, v]);

  return {
    dir,
    journal: env.SENDGRID_BATCH_JOURNAL as string,
    env,
    pulumi,
    start,
    exportState: async () => {
      const file = path.join(root, `export-${Date.now()}.json`);
      await must(["stack", "export", "--file", file]);
      return JSON.parse(fs.readFileSync(file, "utf8")) as StackExport;
    },
    node: async (script, args, timeoutMs = 120_000) => {
      const child = spawn(process.execPath, [script, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      return collect(child, timeoutMs);
    },
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** `pid` and all its descendants, with their process groups (from ps; Linux and macOS). */
export function processTree(pid: number): { pid: number; pgid: number }[] {
  const table = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const out: { pid: number; pgid: number }[] = [];
  const walk = (p: number) => {
    const row = table.find(([id]) => id === p);
    if (!row) return;
    out.push({ pid: p, pgid: row[2] });
    for (const [child, parent] of table) if (parent === p) walk(child);
  };
  walk(pid);
  return out;
}

/**
 * SIGKILL a process, everything it started, and their process groups, all in one sweep (the
 * tree is listed first: once the parent dies its children are re-parented). The Pulumi CLI puts
 * each plugin in a process group of its own, so killing the CLI's group alone would spare them.
 */
export function killTree(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const tree = processTree(pid);
  const ownGroup = processTree(process.pid)[0]?.pgid;
  for (const { pid: p, pgid } of tree) {
    if (pgid !== ownGroup) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return tree.length;
}
