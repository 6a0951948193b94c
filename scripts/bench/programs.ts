// The Pulumi programs the benchmarks run (inline, through the real CLI) and the no-op baseline.

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";
import { ScheduledBatch, type BatchStatus } from "../../provider";
import { localStack, type LocalStack } from "../lib/engine";

// The baseline: a trivial dynamic provider whose create returns an id at once and makes no call.
// A module-level object literal, like ScheduledBatch's provider, so the SDK serializes it once per
// process (the cache is keyed by the provider object) and the serializer emits no class or prototype.
const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, string>) {
    return { id: inputs.key, outs: inputs };
  },
};

export class NoopResource extends pulumi.dynamic.Resource {
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(noopProvider, name, { key: name }, opts, "bench", "Noop");
  }
}

export type Kind = "batch" | "noop";

/** `n` resources of one kind; batches take their status from config `status` (default active). */
export function manyProgram(kind: Kind, n: number, apiUrl: string): () => Promise<Record<string, unknown>> {
  return async () => {
    const status = (new pulumi.Config().get("status") as BatchStatus | undefined) ?? "active";
    for (let i = 0; i < n; i++) {
      if (kind === "batch") new ScheduledBatch(`b${String(i).padStart(4, "0")}`, { status, apiUrl });
      else new NoopResource(`n${String(i).padStart(4, "0")}`);
    }
    return {};
  };
}

/** A stack of `n` resources of `kind` on a throwaway local backend (`env`: extra CLI environment). */
export function manyStack(kind: Kind, n: number, apiUrl: string, stackName: string, env?: Record<string, string>): Promise<LocalStack> {
  return localStack({
    projectName: `bench-${kind}`,
    stackName,
    program: manyProgram(kind, n, apiUrl),
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
    env,
  });
}

/** The checkpoint file of `stack` in the file backend (`.pulumi/stacks/<project>/<stack>.json`). */
export function stateFile(s: LocalStack, project: string): string {
  const file = path.join(s.backendDir, ".pulumi", "stacks", project, `${s.stack.name}.json`);
  if (fs.existsSync(file)) return file;
  // Older layouts (no project directory).
  const legacy = path.join(s.backendDir, ".pulumi", "stacks", `${s.stack.name}.json`);
  if (fs.existsSync(legacy)) return legacy;
  throw new Error(`no state file for stack ${s.stack.name} under ${s.backendDir}`);
}

export interface ExportedResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export async function exportedResources(stack: Stack): Promise<ExportedResource[]> {
  const exported = await stack.exportStack();
  const deployment = exported.deployment as { resources?: ExportedResource[] };
  return deployment.resources ?? [];
}
