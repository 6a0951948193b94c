// What the benchmark modules share: the result shape, env knobs, statistics, child processes and
// the emulator's request log.

import { spawn } from "node:child_process";
import type { EmulatorAdmin } from "../../emulator";

/** One printed table; a module returns its tables and its figures by name (`json`). */
export type Table = { title: string; headers: string[]; rows: (string | number)[][] };
export type Result = { tables: Table[]; json: Record<string, unknown> };
/** What every module gets: the emulator, reset before each module. */
export type BenchContext = { url: string; admin: EmulatorAdmin };

/** An integer from the environment, or `def`. */
export function envInt(name: string, def: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : Number.NaN;
}

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** Rounded for tables and JSON: 2 decimals below 10, 1 below 100, else whole. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const d = Math.abs(v) < 10 ? 100 : Math.abs(v) < 100 ? 10 : 1;
  return Math.round(v * d) / d;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** `node <args>` in a fresh process with exactly `env`; resolves with stdout and the wall time. */
export function runNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.on("close", (code) => resolve({ code, stdout, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

// Prints how long `require(argv[1])` took in this fresh process.
const REQUIRE_PROBE =
  "const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))";

/** `require(module)` in `spawns` fresh processes: the require's own time and the whole spawn (ms). */
export async function coldRequire(
  module: string,
  spawns: number,
  cwd: string,
  env: Record<string, string>,
): Promise<{ init: number[]; wall: number[] }> {
  const init: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < spawns; i++) {
    const r = await runNode(["-e", REQUIRE_PROBE, module], cwd, env);
    if (r.code !== 0) throw new Error(`require(${module}) in a fresh process failed`);
    init.push(Number(r.stdout));
    wall.push(r.ms);
  }
  return { init, wall };
}

/** The SendGrid (/v3) requests the emulator logged, as "METHOD …/route status". */
export async function sendGridCalls(admin: EmulatorAdmin): Promise<string[]> {
  return (await admin.requests())
    .filter((r) => r.path.startsWith("/v3/"))
    .map((r) => `${r.method} ${(r.route ?? r.path).replace(/^\/v3\/(user\/)?/, "…/")} ${r.status ?? "-"}`);
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
