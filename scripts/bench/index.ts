// `npm run bench`: five benchmarks that print numbers (they are not tests and assert only that the
// measured operations did what they claim). Prints each as a table and writes BENCHMARKS.md.
//
// Knobs (environment):
//   BENCH_ONLY=1,3        run only these sections (BENCHMARKS.md is then written only with BENCH_OUT)
//   BENCH_RUNS=5          §3 runs per operation and kind (median reported; ≥ 3 for the goal)
//   BENCH_N=100           §2/§3 resources per stack
//   BENCH_RL_N=200        §4 batches
//   BENCH_SPAWNS=15       §5 cold-start spawns (≥ 10)
//   BENCH_INVOKES=100     §5 warm invocations per event kind
//   BENCH_OUT=path        where to write the report (default BENCHMARKS.md at the repo root)

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorAdmin, startEmulator } from "../../emulator";
import { REPO_ROOT, ensurePulumiCli } from "../lib/engine";
import { lambdaSection } from "./lambda";
import { engineSections } from "./overhead";
import { rateLimitSection } from "./ratelimit";
import { requestsPerOperation } from "./requests";
import { barChart, envInt, fmt, log, tableMarkdown, tableText, type Goal, type SectionResult } from "./util";

interface Machine {
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  cli: string;
  sdk: string;
  os: string;
  date: string;
  loadBefore: string;
  loadAfter?: string;
}

function machine(cliBin: string): Machine {
  const cli = execFileSync(path.join(cliBin, "pulumi"), ["version"], {
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    encoding: "utf8",
  }).trim();
  const sdk = (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }
  ).version;
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    cli,
    sdk,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadBefore: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
}

function goalText(g: Goal): { measured: string; goal: string } {
  switch (g.unit) {
    case "ratio": {
      // Two decimals, or three where two would round a miss onto the goal (1.304 → "1.30").
      const two = fmt.ratio(g.measured);
      return { measured: g.measured > g.goal && Number(two) <= g.goal ? g.measured.toFixed(3) : two, goal: `≤ ${g.goal}` };
    }
    case "bytes":
      return { measured: `${fmt.bytes(Math.round(g.measured))} B`, goal: `≤ ${fmt.bytes(g.goal)} B` };
    case "ms":
      return { measured: `${fmt.ms(g.measured)} ms`, goal: `≤ ${g.goal} ms` };
    default:
      return { measured: `${g.measured}`, goal: `${g.goal === 0 ? "0" : `≤ ${g.goal}`}` };
  }
}

/** measured ÷ goal for the chart; goals of 0 are shown as 0 (met) or 1 + excess. */
function attainment(g: Goal): number {
  if (g.goal === 0) return g.measured === 0 ? 0 : 1 + g.measured / 10;
  return g.measured / g.goal;
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5").split(",").map((s) => Number(s.trim())));
  const runs = envInt("BENCH_RUNS", 5);
  const n = envInt("BENCH_N", 100);
  const rlN = envInt("BENCH_RL_N", 200);
  const spawns = envInt("BENCH_SPAWNS", 15);
  const invocations = envInt("BENCH_INVOKES", 100, 6);
  const full = [1, 2, 3, 4, 5].every((i) => only.has(i));
  const outFile = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : full ? path.join(REPO_ROOT, "BENCHMARKS.md") : undefined;

  const cliBin = ensurePulumiCli();
  const m = machine(cliBin);
  log(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memory}, Node ${m.node}, Pulumi CLI ${m.cli}, load ${m.loadBefore}`);

  const emulator = await startEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  const sections: SectionResult[] = [];
  const timings: { label: string; ms: number }[] = [];
  const timeSection = async <T>(ids: number[], fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const v = await fn();
    timings.push({ label: ids.map((id) => `§${id}`).join("+"), ms: Date.now() - t0 });
    return v;
  };
  try {
    if (only.has(1)) sections.push(await timeSection([1], () => requestsPerOperation(emulator.url, admin)));
    if (only.has(2) || only.has(3)) {
      const ids = [2, 3].filter((i) => only.has(i));
      const res = await timeSection(ids, () =>
        engineSections(emulator.url, admin, { n, runs, warmup: true, doState: only.has(2), doOverhead: only.has(3) }),
      );
      sections.push(...res);
    }
    if (only.has(4)) sections.push(await timeSection([4], () => rateLimitSection(emulator.url, admin, rlN)));
    if (only.has(5)) sections.push(await timeSection([5], () => lambdaSection(emulator.url, admin, { spawns, invocations })));
  } finally {
    await emulator.close();
  }
  m.loadAfter = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  sections.sort((a, b) => a.id - b.id);
  const totalMs = Date.now() - started;

  // ---- stdout
  const out: string[] = [];
  for (const s of sections) {
    out.push(`\n=== ${s.id}. ${s.title} ===`);
    for (const t of s.tables) out.push("", tableText(t));
    for (const c of s.charts) out.push("", c.title, c.text);
    for (const g of s.goals) {
      const t = goalText(g);
      out.push(`${g.met ? "goal met   " : "GOAL MISSED"}: ${g.name}: ${t.measured} (goal ${t.goal})`);
    }
  }
  const goals = sections.flatMap((s) => s.goals.map((g) => ({ s, g })));
  const summary = barChart(
    goals.map(({ s, g }) => ({
      label: `§${s.id} ${g.name}`.slice(0, 64),
      value: attainment(g),
      text: `${goalText(g).measured} (goal ${goalText(g).goal}) ${g.met ? "✓" : "✗"}`,
    })),
    { width: 30, scale: 2, marker: 1 },
  );
  out.push("", "=== Goals: measured ÷ goal (┆ marks the goal; ▶ = beyond 2×) ===", summary);
  out.push("", `bench finished in ${(totalMs / 60000).toFixed(1)} min`);
  const problems = sections.flatMap((s) => s.problems);
  for (const p of problems) out.push(`PROBLEM: ${p}`);
  console.log(out.join("\n"));

  // ---- BENCHMARKS.md
  if (outFile) {
    fs.writeFileSync(
      outFile,
      markdown(sections, m, totalMs, timings, summary, { runs, n, rlN, spawns, invocations, only: [...only].sort() }),
    );
    log(`wrote ${path.relative(process.cwd(), outFile) || outFile}`);
  } else {
    log("partial run (BENCH_ONLY): BENCHMARKS.md not written (set BENCH_OUT to write the report anyway)");
  }
  if (problems.length) {
    log(`${problems.length} check(s) failed (see PROBLEM lines and the top of the report); exiting 1`);
    process.exitCode = 1;
  }
}

function markdown(
  sections: SectionResult[],
  m: Machine,
  totalMs: number,
  timings: { label: string; ms: number }[],
  summary: string,
  knobs: { runs: number; n: number; rlN: number; spawns: number; invocations: number; only: number[] },
): string {
  const lines: string[] = [];
  lines.push("# Benchmarks", "");
  lines.push(
    "Generated by `npm run bench` (scripts/bench/). Every figure below comes from one run on the machine described here; " +
      "times that are compared are ratios measured within that run. Re-run to refresh — the numbers are noisy on a shared 2-core machine " +
      "(the per-run columns show the spread). Knobs: `BENCH_RUNS` (§3 runs, default 5), `BENCH_N` (§2/§3 resources, 100), `BENCH_RL_N` (§4 batches, 200), " +
      "`BENCH_SPAWNS` (§5 cold starts, 15), `BENCH_INVOKES` (§5 warm calls per event kind, 100), `BENCH_ONLY=1,3` (some sections; the report is then written only with `BENCH_OUT=file`).",
    "",
  );
  const problems = sections.flatMap((s) => s.problems);
  if (problems.length) {
    lines.push("## ⚠ Checks that failed in this run", "", ...problems.map((p) => `- **${p}**`), "");
  }
  lines.push("## Machine and run", "");
  lines.push(
    tableMarkdown({
      title: "",
      headers: ["", ""],
      rows: [
        [
          "command",
          `\`npm run bench\` (BENCH_RUNS=${knobs.runs} BENCH_N=${knobs.n} BENCH_RL_N=${knobs.rlN} BENCH_SPAWNS=${knobs.spawns} BENCH_INVOKES=${knobs.invocations}${knobs.only.length < 5 ? ` BENCH_ONLY=${knobs.only.join(",")}` : ""})`,
        ],
        ["date", m.date],
        ["CPUs (nproc)", `${m.cpus} × ${m.cpuModel}`],
        ["memory", m.memory],
        ["OS", m.os],
        ["Node.js", m.node],
        ["Pulumi CLI", `${m.cli} (built from Go modules by scripts/ensure-pulumi.sh), @pulumi/pulumi ${m.sdk}`],
        ["load average (1/5/15 min) before → after", `${m.loadBefore} → ${m.loadAfter ?? "?"}`],
        [
          "wall time of this run",
          `${(totalMs / 60000).toFixed(1)} min (${timings.map((t) => `${t.label} ${(t.ms / 1000).toFixed(0)} s`).join(", ")})`,
        ],
      ],
      align: ["l", "l"],
    }),
    "",
  );

  lines.push("## Goals", "");
  const goals = sections.flatMap((s) => s.goals.map((g) => ({ s, g })));
  lines.push(
    tableMarkdown({
      title: "",
      headers: ["§", "goal", "measured", "target", "met"],
      rows: goals.map(({ s, g }) => [String(s.id), g.name, goalText(g).measured, goalText(g).goal, g.met ? "✓" : "✗ missed"]),
      align: ["r", "l", "r", "r", "l"],
    }),
    "",
  );
  lines.push("Measured ÷ goal (the `┆` column is the goal; a bar past it is a miss; `▶` = beyond 2×):", "", "```text", summary, "```", "");
  const missed = goals.filter(({ g }) => !g.met);
  if (missed.length) {
    lines.push("### Why the missed goals are missed, and what would close them", "");
    for (const { s, g } of missed)
      lines.push(`- **§${s.id} ${g.name}** — ${goalText(g).measured} vs ${goalText(g).goal}. ${g.why ?? "(no explanation recorded)"}`);
    lines.push("");
  }

  for (const s of sections) {
    lines.push(`## ${s.id}. ${s.title}`, "");
    for (const p of s.intro) lines.push(p, "");
    for (const t of s.tables) {
      if (t.title) lines.push(`**${t.title}**`, "");
      lines.push(tableMarkdown(t), "");
    }
    for (const c of s.charts) lines.push(`**${c.title}**`, "", "```text", c.text, "```", "");
    for (const p of s.notes) lines.push(p, "");
  }
  return lines.join("\n");
}

main()
  .then(() => {
    // Everything was closed, so Node exits by itself; should a stray handle remain, say so and exit.
    setTimeout(() => {
      log("warning: handles still open after the benchmarks; exiting anyway");
      process.exit();
    }, 5000).unref();
  })
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
