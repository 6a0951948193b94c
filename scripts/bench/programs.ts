// The Pulumi programs the benchmarks run through the real CLI, and the state bytes they leave.

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";
import { ScheduledBatch as PluginBatch } from "../../plugin";
import { type BatchStatus, ScheduledBatch } from "../../provider";
import { type LocalStack, REPO_ROOT, ensurePulumiCli, localStack } from "../lib/engine";
import { projectWithPackage } from "../lib/packedPackage";

// The baseline: a module-level dynamic provider whose create returns an id at once, no call.
const noopProvider: pulumi.dynamic.ResourceProvider = { create: async (inputs) => ({ id: inputs.key, outs: inputs }) };
class Noop extends pulumi.dynamic.Resource {}

/**
 * Inline in this process: `batch` (ScheduledBatch of this checkout, where the package is linked) and
 * `noop` (the baseline). In a project of their own, run by the nodejs language host as a user's
 * program is: `installed` (ScheduledBatch of the packed package) and its baseline `noopProject`.
 * `plugin`: the `sendgrid-batch` provider plugin's resource, inline (its baseline is `noop`), the
 * engine running the npm package's `node` script; `pluginExe`: the same with the self-contained
 * executable (scripts/release/) found in `exeDir` instead.
 */
export type Kind = "batch" | "noop" | "installed" | "noopProject" | "plugin" | "pluginExe";

const PROJECT_PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { ScheduledBatch } = require("pulumi-sendgrid-scheduled-batch");
const noop = { create: async (inputs) => ({ id: inputs.key, outs: inputs }) };
const cfg = new pulumi.Config();
for (let i = 0; i < Number(cfg.require("n")); i++) {
  const name = "r" + String(i).padStart(4, "0");
  if (cfg.require("kind") === "noopProject") new pulumi.dynamic.Resource(noop, name, { key: name }, undefined, "bench", "Noop");
  else new ScheduledBatch(name, { status: cfg.get("status") || "active", apiUrl: cfg.require("apiUrl") });
}
`;

/** A stack of `n` resources of `kind` on a throwaway backend; batches take `status` from config. */
export async function manyStack(
  kind: Kind,
  n: number,
  apiUrl: string,
  stackName: string,
  env?: Record<string, string>,
  exeDir?: string,
): Promise<LocalStack> {
  const secrets = { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY };
  if (kind === "installed" || kind === "noopProject") {
    const project = projectWithPackage({
      linked: false,
      files: {
        "Pulumi.yaml": `name: bench-${kind}\nruntime: nodejs\n`,
        "index.js": PROJECT_PROGRAM,
        "package.json": '{"name":"bench-installed","main":"index.js"}',
      },
    });
    const s = await localStack({
      workDir: project.dir,
      stackName,
      config: { n: String(n), apiUrl, kind },
      secrets,
      env: { ...env, ...project.env },
    });
    return { ...s, dispose: () => s.dispose().then(() => fs.rmSync(project.dir, { recursive: true, force: true })) };
  }
  const program = async () => {
    const status = (new pulumi.Config().get("status") as BatchStatus | undefined) ?? "active";
    for (let i = 0; i < n; i++) {
      const name = `r${String(i).padStart(4, "0")}`;
      if (kind === "noop") new Noop(noopProvider, name, { key: name }, undefined, "bench", "Noop");
      else if (kind === "plugin" || kind === "pluginExe") new PluginBatch(name, { status });
      else new ScheduledBatch(name, { status, apiUrl });
    }
    return {};
  };
  // The plugin: the engine finds its executable on PATH (as in node_modules/.bin, or the
  // self-contained one), the key in the environment.
  if (kind === "pluginExe" && !exeDir) throw new Error("the pluginExe kind needs the executable's folder");
  const pluginDir = kind === "pluginExe" && exeDir ? exeDir : path.join(REPO_ROOT, "bin");
  const PATH = [ensurePulumiCli(), pluginDir, process.env.PATH ?? ""].join(path.delimiter);
  const plugin = { config: { "sendgrid-batch:apiUrl": apiUrl }, env: { ...env, PATH, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY } };
  const isPlugin = kind === "plugin" || kind === "pluginExe";
  return localStack({ projectName: `bench-${kind}`, stackName, program, ...(isPlugin ? plugin : { secrets, env }) });
}

/** Bytes of the checkpoint file per resource, of one resource's entry in `stack export`, of one `__provider` copy. */
export async function stateBytes(s: LocalStack, n: number): Promise<{ perResource: number; entry: number; provider: number }> {
  const stacks = path.join(s.backendDir, ".pulumi", "stacks");
  const project = fs.readdirSync(stacks)[0] ?? "";
  const file = path.join(stacks, project, `${s.stack.name}.json`);
  const { resources = [] } = (await s.stack.exportStack()).deployment as {
    resources?: { type: string; outputs?: { __provider?: unknown } }[];
  };
  const provider = resources.map((r) => r.outputs?.__provider).find((p): p is string => typeof p === "string");
  const entry = Buffer.byteLength(JSON.stringify(resources.find((r) => !r.type.startsWith("pulumi:"))));
  return { perResource: Math.round(fs.statSync(file).size / n), entry, provider: Buffer.byteLength(provider ?? "") };
}
