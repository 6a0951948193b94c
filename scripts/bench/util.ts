// Small helpers shared by the benchmark sections: statistics, timing, env knobs, child processes,
// the emulator's request log, tables and charts.

import { spawn } from "node:child_process";
import type { EmulatorAdmin, RequestLogEntry } from "../../emulator";

/** An integer from the environment, or `def`. */
export function envInt(name: string, def: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return n;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function mean(xs: readonly number[]): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

export function min(xs: readonly number[]): number {
  return xs.length ? Math.min(...xs) : NaN;
}

export function max(xs: readonly number[]): number {
  return xs.length ? Math.max(...xs) : NaN;
}

/** Milliseconds since `t0` (from process.hrtime.bigint()). */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: msSince(t0), value };
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit, as seen from this process. */
  wallMs: number;
}

/** `node <args>` in a fresh process with exactly `env` (nothing inherited). */
export function runNode(args: string[], cwd: string, env: Record<string, string>): Promise<NodeRun> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("close", (code) => resolve({ code, stdout, stderr, wallMs: msSince(t0) }));
  });
}

// Prints how long `require(argv[1])` took in this fresh process, then exits.
const REQUIRE_PROBE =
  "const t0 = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));";

/**
 * `require(module)` in `spawns` fresh Node processes: the require's own time (init) and the whole
 * spawn (wall); with `bare`, also a `node -e ""` spawn each time, for reference.
 */
export async function coldRequire(
  module: string,
  spawns: number,
  opts: { cwd: string; env: Record<string, string>; bare?: boolean },
): Promise<{ init: number[]; wall: number[]; bare: number[] }> {
  const init: number[] = [];
  const wall: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < spawns; i++) {
    const r = await runNode(["-e", REQUIRE_PROBE, module], opts.cwd, opts.env);
    if (r.code !== 0) throw new Error(`require(${module}) in a fresh process failed: ${r.stderr.slice(0, 500)}`);
    init.push(Number(r.stdout));
    wall.push(r.wallMs);
    if (opts.bare) bare.push((await runNode(["-e", ""], opts.cwd, opts.env)).wallMs);
  }
  return { init, wall, bare };
}

// ---------------------------------------------------------------------------------------------
// The emulator's request log

/** The SendGrid (/v3) requests in the emulator's log (other paths are its inspection API). */
export async function sendGridRequests(admin: EmulatorAdmin): Promise<RequestLogEntry[]> {
  return (await admin.requests()).filter((r) => r.path.startsWith("/v3/"));
}

/** A route or path shortened for tables: `…/scheduled_sends/{batch_id}`, `…/mail/batch`. */
export function shortRoute(route: string): string {
  return route.replace("/v3/user/scheduled_sends", "…/scheduled_sends").replace("/v3/mail/batch", "…/mail/batch");
}

// ---------------------------------------------------------------------------------------------
// Formatting

export const fmt = {
  ms: (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : "–"),
  s: (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "–"),
  ratio: (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "–"),
  bytes: (v: number): string => v.toLocaleString("en-US"),
  kib: (v: number): string => `${(v / 1024).toFixed(1)} KiB`,
};

// ---------------------------------------------------------------------------------------------
// Tables

export type Align = "l" | "r";

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Per column; default: left for the first column, right for the rest. */
  align?: Align[];
}

function alignOf(t: Table, i: number): Align {
  return t.align?.[i] ?? (i === 0 ? "l" : "r");
}

/** A plain-text table for the terminal (box-free, aligned columns). */
export function tableText(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (alignOf(t, i) === "r" ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [`${t.title}`, line(t.headers), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function tableMarkdown(t: Table): string {
  const head = `| ${t.headers.map(mdCell).join(" | ")} |`;
  const sep = `|${t.headers.map((_, i) => (alignOf(t, i) === "r" ? " ---: " : " :--- ")).join("|")}|`;
  const rows = t.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`);
  return [head, sep, ...rows].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Unicode bar charts (render the same in a terminal and in a Markdown code block)

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A bar of `value / scale * width` cells, with eighth-cell resolution. */
export function bar(value: number, scale: number, width: number): string {
  if (!(value > 0) || !(scale > 0)) return "";
  const cells = Math.min(width, (value / scale) * width);
  const full = Math.floor(cells);
  const rest = Math.round((cells - full) * 8);
  return "█".repeat(full) + (rest === 8 ? "█" : EIGHTHS[rest]);
}

export interface BarRow {
  label: string;
  value: number;
  /** Printed after the bar, e.g. "1.12 (goal ≤ 1.3)". */
  text: string;
}

/**
 * Horizontal bars. With `marker`, a "┆" column marks that value (e.g. the goal) on every row;
 * values beyond `scale` are clipped and end in "▶".
 */
export function barChart(rows: readonly BarRow[], opts: { width?: number; scale?: number; marker?: number } = {}): string {
  const width = opts.width ?? 40;
  const scale = opts.scale ?? Math.max(...rows.map((r) => r.value), 1e-9);
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  const markerCol = opts.marker !== undefined ? Math.round((opts.marker / scale) * width) : -1;
  const axis = markerCol >= 0 && markerCol <= width ? [`${" ".repeat(labelWidth)}  ${" ".repeat(markerCol)}▼ goal`] : [];
  return axis
    .concat(
      rows.map((r) => {
        let b = bar(Math.min(r.value, scale), scale, width);
        if (r.value > scale) b = `${b.slice(0, -1)}▶`;
        let cells = [...b];
        while (cells.length < width + 1) cells.push(" ");
        if (markerCol >= 0 && markerCol <= width && cells[markerCol] === " ") cells[markerCol] = "┆";
        cells = cells.slice(0, Math.max(width + 1, [...b].length));
        return `${r.label.padEnd(labelWidth)} │${cells.join("")} ${r.text}`;
      }),
    )
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Results

export interface Goal {
  name: string;
  measured: number;
  goal: number;
  /** How measured and goal are printed, e.g. "ratio", "KiB", "ms". */
  unit: string;
  met: boolean;
  /** For a missed goal: why, and what would close it. */
  why?: string;
}

export interface SectionResult {
  id: number;
  title: string;
  /** Paragraphs in Markdown printed before the tables. */
  intro: string[];
  tables: Table[];
  /** Unicode charts (printed as code blocks). */
  charts: { title: string; text: string }[];
  goals: Goal[];
  /** Paragraphs in Markdown printed after the tables (findings, explanations). */
  notes: string[];
  /** Checks that failed without stopping the run: shown at the top of the report; the run exits 1. */
  problems: string[];
}

export function emptySection(id: number, title: string): SectionResult {
  return { id, title, intro: [], tables: [], charts: [], goals: [], notes: [], problems: [] };
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
