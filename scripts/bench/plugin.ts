// Benchmarks of the `sendgrid-batch` provider plugin (plugin/), through the real engine against
// the emulator: (a) state bytes per resource, (b) `up` and `destroy` of N plugin resources against
// N no-op dynamic resources (the engine's floor for a custom resource). Self-contained (it shares
// only scripts/lib with the other benchmarks) so it can be wired into `npm run bench` as is.
//
//   npm run build && node dist/scripts/bench/plugin.js     (BENCH_PLUGIN_N, BENCH_PLUGIN_RUNS)

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY, EmulatorAdmin, startEmulator } from "../../emulator";
import { ScheduledBatch } from "../../plugin";
import { REPO_ROOT, ensurePulumiCli, localStack, type LocalStack } from "../lib/engine";

type Kind = "plugin" | "noop";

// The baseline, as in the other benchmarks: a dynamic provider whose create returns at once.
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

function stack(kind: Kind, n: number, apiUrl: string, stackName: string): Promise<LocalStack> {
  return localStack({
    projectName: `bench-${kind}`,
    stackName,
    program: async () => {
      for (let i = 0; i < n; i++) {
        const name = `r${String(i).padStart(4, "0")}`;
        if (kind === "plugin") new ScheduledBatch(name, { status: "active" });
        else new NoopResource(name);
      }
      return {};
    },
    config: { "sendgrid-batch:apiUrl": apiUrl },
    // The plugin executable is found on PATH (as from node_modules/.bin); the key from the environment.
    env: {
      SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
      PATH: [ensurePulumiCli(), path.join(REPO_ROOT, "bin"), process.env.PATH ?? ""].join(path.delimiter),
    },
  });
}

function stateFileBytes(s: LocalStack, kind: Kind): number {
  return fs.statSync(path.join(s.backendDir, ".pulumi", "stacks", `bench-${kind}`, `${s.stack.name}.json`)).size;
}

async function withEmulator<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const emulator = await startEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  // Destroy cancels every batch: lift SendGrid's quota of 10 paused/cancelled for the benchmark.
  await admin.configure({ maxPausedOrCancelled: 1_000_000, rateLimit: false, faults: false });
  try {
    return await fn(emulator.url);
  } finally {
    await emulator.close();
  }
}

async function timedMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface StateBytes {
  n: number;
  /** The checkpoint file after `up` of n resources, divided by n (BENCHMARKS.md's "state file per resource"). */
  plugin: number;
  noop: number;
  /** One plugin resource's entry in `stack export` (JSON), bytes. */
  pluginEntry: number;
}

/** (a) State bytes per resource: the plugin against the no-op dynamic resource, after `up` of n. */
export async function pluginStateBytes(n = 100): Promise<StateBytes> {
  return withEmulator(async (url) => {
    const out = { n } as StateBytes;
    for (const kind of ["plugin", "noop"] as const) {
      const s = await stack(kind, n, url, "state");
      try {
        await s.stack.up();
        out[kind] = Math.round(stateFileBytes(s, kind) / n);
        if (kind === "plugin") {
          const exported = await s.stack.exportStack();
          const entry = exported.deployment.resources.find((r: { type: string }) => r.type === "sendgrid-batch:index:ScheduledBatch");
          out.pluginEntry = Buffer.byteLength(JSON.stringify(entry));
        }
        await s.stack.destroy();
      } finally {
        await s.dispose();
      }
    }
    return out;
  });
}

export interface Overhead {
  n: number;
  runs: number;
  /** Median wall time (ms) per kind and operation, and plugin ÷ no-op per operation. */
  upMs: Record<Kind, number>;
  destroyMs: Record<Kind, number>;
  upRatio: number;
  destroyRatio: number;
}

/** (b) `up` (create n) and `destroy` (n) wall time, plugin ÷ no-op dynamic; interleaved, median of runs. */
export async function pluginOverhead(n = 100, runs = 3, log: (line: string) => void = () => undefined): Promise<Overhead> {
  return withEmulator(async (url) => {
    const stacks = {} as Record<Kind, LocalStack>;
    const up: Record<Kind, number[]> = { plugin: [], noop: [] };
    const destroy: Record<Kind, number[]> = { plugin: [], noop: [] };
    try {
      for (const kind of ["plugin", "noop"] as const) {
        stacks[kind] = await stack(kind, n, url, "overhead");
        await stacks[kind].stack.preview(); // warm-up: plugin loads, TypeScript compiled
      }
      for (let run = 0; run < runs; run++) {
        const order: Kind[] = run % 2 === 0 ? ["plugin", "noop"] : ["noop", "plugin"];
        for (const kind of order) {
          up[kind].push(await timedMs(() => stacks[kind].stack.up()));
          log(`run ${run + 1}/${runs} up      ${kind.padEnd(6)} ${(up[kind][run] / 1000).toFixed(2)} s`);
        }
        for (const kind of order) {
          destroy[kind].push(await timedMs(() => stacks[kind].stack.destroy()));
          log(`run ${run + 1}/${runs} destroy ${kind.padEnd(6)} ${(destroy[kind][run] / 1000).toFixed(2)} s`);
        }
      }
    } finally {
      for (const kind of ["plugin", "noop"] as const) await stacks[kind]?.dispose();
    }
    const upMs = { plugin: median(up.plugin), noop: median(up.noop) };
    const destroyMs = { plugin: median(destroy.plugin), noop: median(destroy.noop) };
    return { n, runs, upMs, destroyMs, upRatio: upMs.plugin / upMs.noop, destroyRatio: destroyMs.plugin / destroyMs.noop };
  });
}

if (require.main === module) {
  const n = Number(process.env.BENCH_PLUGIN_N ?? 100);
  const runs = Number(process.env.BENCH_PLUGIN_RUNS ?? 3);
  (async () => {
    const bytes = await pluginStateBytes(n);
    console.log(
      `state per resource (state file / ${n}): plugin ${bytes.plugin} B, no-op dynamic ${bytes.noop} B; one plugin entry ${bytes.pluginEntry} B`,
    );
    const o = await pluginOverhead(n, runs, (l) => console.error(l));
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`up (create ${n}): plugin ${s(o.upMs.plugin)}, no-op ${s(o.upMs.noop)}, ratio ${o.upRatio.toFixed(2)} (median of ${runs})`);
    console.log(
      `destroy (${n}):   plugin ${s(o.destroyMs.plugin)}, no-op ${s(o.destroyMs.noop)}, ratio ${o.destroyRatio.toFixed(2)} (median of ${runs})`,
    );
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
