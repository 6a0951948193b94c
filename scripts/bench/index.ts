// `npm run bench`: measurements, printed as tables and as one JSON document (BENCH_JSON=file also
// writes it). The interpretation lives in BENCHMARKS.md, written by hand from a run.
//
// Knobs: BENCH_ONLY=requests,engine (modules to run), BENCH_RUNS=5 (engine runs per operation),
// BENCH_N=100 (engine resources), BENCH_RL_N=200 (rate-limit batches), BENCH_SPAWNS=15 (Lambda cold
// starts), BENCH_INVOKES=100 (Lambda warm invocations per event kind), BENCH_STARTS=10 (plugin
// process starts per kind), BENCH_KINDS (engine kinds, default all).

import * as fs from "node:fs";
import * as os from "node:os";
import { EmulatorAdmin, startEmulator } from "../../emulator";
import { ensurePulumiCli } from "../lib/engine";
import { engineOverhead } from "./engine";
import { executable } from "./executable";
import { lambda } from "./lambda";
import { rateLimit } from "./ratelimit";
import { requestsPerOperation } from "./requests";
import { type BenchContext, type Result, type Table, envInt, log } from "./util";

// One entry per measurement module, run in this order against one emulator (reset before each).
// A new module is one more line here.
const MODULES: Record<string, (ctx: BenchContext) => Promise<Result>> = {
  requests: (ctx) => requestsPerOperation(ctx),
  engine: (ctx) => engineOverhead(ctx, envInt("BENCH_N", 100), envInt("BENCH_RUNS", 5)),
  ratelimit: (ctx) => rateLimit(ctx, envInt("BENCH_RL_N", 200)),
  lambda: (ctx) => lambda(ctx, envInt("BENCH_SPAWNS", 15), envInt("BENCH_INVOKES", 100, 6)),
  executable: () => executable(envInt("BENCH_STARTS", 10)),
};

function printTable(t: Table): string {
  const text = (r: (string | number)[]) => r.map((c) => (Number.isNaN(c) ? "—" : String(c)));
  const cells = [t.headers, ...t.rows.map(text)];
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  return [
    `**${t.title}**`,
    "",
    line(t.headers),
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...t.rows.map((r) => line(text(r))),
  ].join("\n");
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()) ?? Object.keys(MODULES);
  ensurePulumiCli();
  const started = Date.now();
  const results: Record<string, unknown> = {
    machine: {
      cpus: os.availableParallelism(),
      cpu: os.cpus()[0]?.model,
      node: process.version,
      load: os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" "),
      date: new Date().toISOString(),
    },
  };
  const emulator = await startEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  try {
    for (const name of only) {
      const run = MODULES[name];
      if (!run) throw new Error(`BENCH_ONLY: no module "${name}" (${Object.keys(MODULES).join(", ")})`);
      await admin.reset();
      const t0 = Date.now();
      const r = await run({ url: emulator.url, admin });
      for (const t of r.tables) console.log(`\n${printTable(t)}`);
      results[name] = { ...r.json, seconds: Math.round((Date.now() - t0) / 1000) };
    }
  } finally {
    await emulator.close();
  }
  results.minutes = Number(((Date.now() - started) / 60000).toFixed(1));
  const json = JSON.stringify(results, null, 2);
  console.log(`\n${json}`);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, `${json}\n`);
  log("done");
}

// Exit even if the Automation API leaves a handle open.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
