// State bytes per resource and engine time: the same operations on n resources of each kind, one
// kind after another, the order alternating per run; ratio = median kind ÷ median no-op.

import * as pulumi from "@pulumi/pulumi";
import type { LocalStack } from "../lib/engine";
import { extractedExecutable } from "./executable";
import { type Kind, manyStack, stateBytes } from "./programs";
import { type BenchContext, type Result, coldRequire, log, median, round, sendGridCalls, timed } from "./util";

// BENCH_KINDS=noop,plugin,pluginExe runs some of them (the no-op baselines of those kept are needed).
const ALL_KINDS: Kind[] = ["batch", "noop", "installed", "noopProject", "plugin", "pluginExe"];
const KINDS: Kind[] = process.env.BENCH_KINDS ? ALL_KINDS.filter((k) => process.env.BENCH_KINDS?.split(",").includes(k)) : ALL_KINDS;
const LABEL: Record<Kind, string> = {
  batch: "ScheduledBatch, linked, inline",
  noop: "no-op dynamic, inline",
  installed: "ScheduledBatch, installed, own project",
  noopProject: "no-op dynamic, own project",
  plugin: "sendgrid-batch plugin, inline",
  pluginExe: "sendgrid-batch plugin executable, inline",
};
/** Each ScheduledBatch kind and the no-op it is compared with (same way of running the program). */
const BASELINE = { batch: "noop", installed: "noopProject", plugin: "noop", pluginExe: "noop" } as const;
const COMPARED = (Object.keys(BASELINE) as (keyof typeof BASELINE)[]).filter((k) => KINDS.includes(k) && KINDS.includes(BASELINE[k]));
type Op = "preview (create)" | "up (create)" | "preview (no changes)" | "destroy";
const OPS: Record<Op, (s: LocalStack) => Promise<unknown>> = {
  "preview (create)": (s) => s.stack.preview(),
  "up (create)": (s) => s.stack.up(),
  "preview (no changes)": (s) => s.stack.preview(),
  destroy: (s) => s.stack.destroy(),
};

async function timeOps(
  ctx: BenchContext,
  n: number,
  runs: number,
  exeDir: string,
  env?: Record<string, string>,
  ops = Object.keys(OPS) as Op[],
) {
  const times = {} as Record<Kind, Record<string, number[]>>;
  const state = {} as Record<Kind, Awaited<ReturnType<typeof stateBytes>>>;
  const calls: Record<string, number> = {};
  const stacks = {} as Record<Kind, LocalStack>;
  try {
    for (const k of KINDS) {
      stacks[k] = await manyStack(k, n, ctx.url, env ? "nocheckpoints" : "overhead", env, exeDir);
      times[k] = Object.fromEntries(ops.map((op) => [op, []]));
      if (!env) await stacks[k].stack.preview(); // unmeasured warm-up
    }
    for (let run = 0; run < runs; run++) {
      for (const op of ops) {
        for (const k of run % 2 ? [...KINDS].reverse() : KINDS) {
          await ctx.admin.clearRequests();
          const ms = await timed(() => OPS[op](stacks[k]));
          times[k][op].push(ms);
          log(`engine${env ? " (no checkpoints)" : ""}: run ${run + 1}/${runs} ${op} ${LABEL[k]} ${(ms / 1000).toFixed(2)} s`);
          if (run === 0 && k === "batch") calls[op] = (await sendGridCalls(ctx.admin)).length;
          if (run === 0 && op === "up (create)" && !env) state[k] = await stateBytes(stacks[k], n);
        }
      }
    }
  } finally {
    for (const k of KINDS) await stacks[k]?.dispose();
  }
  return { times, state, calls };
}

export async function engineOverhead(ctx: BenchContext, n: number, runs: number): Promise<Result> {
  // Destroy cancels every batch: SendGrid's quota of 10 paused/cancelled would refuse all but 10.
  await ctx.admin.configure({ maxPausedOrCancelled: 1_000_000 });
  // The self-contained executable for the pluginExe kind (from the cache when unchanged).
  const exe = KINDS.includes("pluginExe") ? await extractedExecutable() : undefined;
  let main: Awaited<ReturnType<typeof timeOps>>;
  let diag: Awaited<ReturnType<typeof timeOps>>;
  try {
    main = await timeOps(ctx, n, runs, exe?.dir ?? "");
    // Diagnostic: up/destroy again with the file backend's intermediate checkpoints off.
    diag = await timeOps(ctx, n, Math.min(runs, 3), exe?.dir ?? "", { PULUMI_SKIP_CHECKPOINTS: "true" }, ["up (create)", "destroy"]);
  } finally {
    exe?.dispose();
  }
  await ctx.admin.configure({ maxPausedOrCancelled: 10 });

  // The linked runtime's exports serialized by value: what the guard in provider/scheduledBatch.ts avoids.
  const linkedRuntime = require("pulumi-sendgrid-scheduled-batch/runtime") as object;
  const byValue = Buffer.byteLength((await pulumi.runtime.serializeFunction(() => linkedRuntime, { allowSecrets: true })).text);
  // What a provider process pays once to load the runtime (and with it @sendgrid/client + axios).
  const load = await coldRequire(require.resolve("pulumi-sendgrid-scheduled-batch/runtime"), 5, process.cwd(), {
    PATH: process.env.PATH ?? "",
  });

  const seconds = (t: typeof main.times) =>
    Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(Object.entries(t[k]).map(([op, x]) => [op, round(median(x) / 1000)]))]));
  const ratio = (t: typeof main.times, k: keyof typeof BASELINE, op: string) => median(t[k][op]) / median(t[BASELINE[k]][op]);
  const opRows = (Object.keys(OPS) as Op[]).flatMap((op) =>
    COMPARED.map((k) => [
      `${op}, ${n}`,
      LABEL[k],
      round(median(main.times[k][op]) / 1000),
      round(median(main.times[BASELINE[k]][op]) / 1000),
      round(ratio(main.times, k, op)),
      main.times[k][op].map((v, i) => round(v / main.times[BASELINE[k]][op][i])).join(" "),
      op in diag.times.noop ? round(ratio(diag.times, k, op)) : "",
    ]),
  );
  const json = {
    n,
    runs,
    stateBytesPerResource: Object.fromEntries(KINDS.map((k) => [k, main.state[k]?.perResource])),
    entryBytes: Object.fromEntries(KINDS.map((k) => [k, main.state[k]?.entry])),
    providerBytesPerCopy: Object.fromEntries(KINDS.map((k) => [k, main.state[k]?.provider])),
    linkedRuntimeByValueBytes: byValue,
    runtimeLoadMs: round(median(load.init)),
    sendGridCallsOfLinkedBatch: main.calls,
    medianSeconds: seconds(main.times),
    medianSecondsWithoutCheckpoints: seconds(diag.times),
    ratioToNoop: Object.fromEntries(opRows.map((r) => [`${r[0]} ${r[1]}`, r[4]])),
    ratioToNoopWithoutCheckpoints: Object.fromEntries(opRows.filter((r) => r[6] !== "").map((r) => [`${r[0]} ${r[1]}`, r[6]])),
  };
  return {
    tables: [
      {
        title: `State per resource after up of ${n} (checkpoint file ÷ ${n}) and one __provider copy (stored twice per resource)`,
        headers: ["kind", "state bytes per resource", "one entry in stack export", "__provider bytes"],
        rows: [
          ...KINDS.map((k) => [LABEL[k], main.state[k]?.perResource ?? "?", main.state[k]?.entry ?? "?", main.state[k]?.provider ?? "?"]),
          ["linked runtime module serialized by value (what the guard avoids)", "", "", byValue],
          ["(provider start: require of the runtime in a fresh Node process, median of 5, ms)", "", "", round(median(load.init))],
        ],
      },
      {
        title: `Engine time, median of ${runs} runs (s); ratio = kind ÷ the no-op run the same way; last column: up/destroy with PULUMI_SKIP_CHECKPOINTS=true`,
        headers: ["operation", "kind", "kind s", "no-op s", "ratio", "ratio per run", "ratio, no checkpoints"],
        rows: opRows,
      },
    ],
    json,
  };
}
