// The Pulumi programs the benchmarks run through the real CLI: n ScheduledBatch resources from this
// checkout, inline (the package is linked here), the same from the package installed from its
// tarball, in a project of its own, and the no-op baseline, inline.

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";
import { type BatchStatus, ScheduledBatch } from "../../provider";
import { type LocalStack, localStack } from "../lib/engine";
import { projectWithPackage } from "../lib/packedPackage";

// The baseline: a module-level dynamic provider whose create returns an id at once, no call.
const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, string>) {
    return { id: inputs.key, outs: inputs };
  },
};

class NoopResource extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(noopProvider, name, { key: name }, undefined, "bench", "Noop");
  }
}

/** batch: ScheduledBatch of this checkout (linked); installed: of the packed package; noop: baseline. */
export type Kind = "batch" | "installed" | "noop";

// The installed kind runs as a project of its own (nodejs language host), as a user's program does.
const INSTALLED_PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { ScheduledBatch } = require("pulumi-sendgrid-scheduled-batch");
const cfg = new pulumi.Config();
for (let i = 0; i < Number(cfg.require("n")); i++)
  new ScheduledBatch("r" + String(i).padStart(4, "0"), { status: cfg.get("status") || "active", apiUrl: cfg.require("apiUrl") });
`;

/** A stack of `n` resources of `kind` on a throwaway backend; batches take `status` from config. */
export async function manyStack(
  kind: Kind,
  n: number,
  apiUrl: string,
  stackName: string,
  env?: Record<string, string>,
): Promise<LocalStack> {
  const secrets = { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY };
  if (kind === "installed") {
    const project = projectWithPackage({
      linked: false,
      files: {
        "Pulumi.yaml": "name: bench-installed\nruntime: nodejs\n",
        "index.js": INSTALLED_PROGRAM,
        "package.json": '{"name":"bench-installed","main":"index.js"}',
      },
    });
    const s = await localStack({
      workDir: project.dir,
      stackName,
      config: { n: String(n), apiUrl },
      secrets,
      env: { ...env, ...project.env },
    });
    return { ...s, dispose: () => s.dispose().then(() => fs.rmSync(project.dir, { recursive: true, force: true })) };
  }
  const program = async () => {
    const status = (new pulumi.Config().get("status") as BatchStatus | undefined) ?? "active";
    for (let i = 0; i < n; i++) {
      const name = `r${String(i).padStart(4, "0")}`;
      if (kind === "noop") new NoopResource(name);
      else new ScheduledBatch(name, { status, apiUrl });
    }
    return {};
  };
  return localStack({ projectName: `bench-${kind}`, stackName, program, secrets, env });
}

/** Bytes of the stack's checkpoint file per resource, and of one `__provider` copy. */
export async function stateBytes(s: LocalStack, n: number): Promise<{ perResource: number; provider: number }> {
  const stacks = path.join(s.backendDir, ".pulumi", "stacks");
  const project = fs.readdirSync(stacks)[0] ?? "";
  const file = path.join(stacks, project, `${s.stack.name}.json`);
  const exported = (await s.stack.exportStack()).deployment as { resources?: { outputs?: Record<string, unknown> }[] };
  const provider = exported.resources?.map((r) => r.outputs?.__provider).find((p) => typeof p === "string") as string | undefined;
  return { perResource: Math.round(fs.statSync(file).size / n), provider: Buffer.byteLength(provider ?? "") };
}
