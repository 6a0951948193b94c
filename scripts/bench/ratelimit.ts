// Scale under SendGrid's rate limit: n batches created, paused and destroyed through the real engine
// against the emulator limited per API key and endpoint, at SendGrid's 600/min and time-scaled
// (60 per 6 s, the same 10/s) so that the limiter binds. The emulator's quota of 10 paused or
// cancelled batches is raised for the run, or all but 10 pauses would fail.

import type { RequestLogEntry } from "../../emulator";
import type { LocalStack } from "../lib/engine";
import { manyStack } from "./programs";
import { type BenchContext, type Result, log, mean, median, round } from "./util";

const SCENARIOS = [
  { label: "600 per 60 s", limit: 600, windowSeconds: 60 },
  { label: "60 per 6 s", limit: 60, windowSeconds: 6 },
];
const PHASES = [
  { label: "up: create active", status: "active", expect: "active" },
  { label: "up: pause", status: "paused", expect: "paused" },
  { label: "destroy: cancel paused", status: undefined, expect: "cancelled" },
] as const;

/** Replays the emulator's windows on the busiest endpoint (a window opens at the first request after the last one ended). */
function windows(entries: RequestLogEntry[], windowMs: number) {
  const byEndpoint = new Map<string, RequestLogEntry[]>();
  for (const e of entries) byEndpoint.set(`${e.method} ${e.route}`, [...(byEndpoint.get(`${e.method} ${e.route}`) ?? []), e]);
  const busiest = [...byEndpoint.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const lags: number[] = [];
  const rounding: number[] = [];
  const fills: number[] = [];
  let start = Number.NEGATIVE_INFINITY;
  let first = 0;
  let last = 0;
  for (const t of busiest.map((e) => Date.parse(e.time)).sort((a, b) => a - b)) {
    if (t >= start + windowMs) {
      if (Number.isFinite(start)) {
        fills.push(last - first);
        lags.push(t - (start + windowMs));
        // X-RateLimit-Reset is whole seconds: the client holds the endpoint until that second.
        rounding.push(Math.ceil((start + windowMs) / 1000) * 1000 - (start + windowMs));
      }
      start = t;
      first = t;
    }
    last = t;
  }
  return { admitted: busiest.filter((e) => e.status !== 429).length, lags, rounding, fills };
}

export async function rateLimit({ url, admin }: BenchContext, n: number): Promise<Result> {
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const [i, sc] of SCENARIOS.entries()) {
    await admin.reset();
    await admin.configure({ rateLimit: { limit: sc.limit, windowSeconds: sc.windowSeconds }, maxPausedOrCancelled: 1_000_000 });
    let s: LocalStack | undefined;
    try {
      s = await manyStack("batch", n, url, `ratelimit${i}`);
      for (const ph of PHASES) {
        if (ph.status) await s.stack.setConfig("status", { value: ph.status });
        await admin.clearRequests();
        log(`rate limit ${sc.label}: ${ph.label} ${n}`);
        const t0 = Date.now();
        const engineFailed = await (ph.status ? s.stack.up() : s.stack.destroy()).then(
          () => 0,
          () => 1,
        );
        const t1 = Date.now();
        const calls = (await admin.requests()).filter((e) => e.path.startsWith("/v3/"));
        const failures = engineFailed + n - (await admin.batches()).filter((b) => b.status === ph.expect).length;
        const times = calls.map((e) => Date.parse(e.time));
        const [first, last] = [Math.min(...times), Math.max(...times)];
        const w = windows(calls, sc.windowSeconds * 1000);
        const floor = Math.max(0, Math.ceil(w.admitted / sc.limit) - 1) * sc.windowSeconds * 1000;
        const rounded = w.rounding.reduce((a, b) => a + b, 0);
        const r = {
          limit: sc.label,
          operation: `${ph.label} ${n}`,
          http429: calls.filter((e) => e.status === 429).length,
          failures,
          totalS: round((t1 - t0) / 1000),
          floorS: round(floor / 1000),
          totalOverFloor: floor ? round((t1 - t0) / floor) : "not binding",
          spanS: round((last - first) / 1000),
          beforeFirstCallMs: first - t0,
          afterLastCallMs: t1 - last,
          windowChanges: w.lags.length,
          meanLagMs: round(mean(w.lags)),
          meanResetRoundingMs: round(mean(w.rounding)),
          medianFullWindowFillS: round(median(w.fills) / 1000),
          totalOverFloorWithoutRounding: floor ? round((t1 - t0 - rounded) / floor) : "",
        };
        json.push(r);
        rows.push(Object.values(r));
      }
    } finally {
      await s?.dispose();
    }
  }
  await admin.configure({ rateLimit: false, maxPausedOrCancelled: 10 });
  const headers = ["limit", "operation", "429s", "failures", "total s", "floor s", "total÷floor", "calls span s", "before 1st call ms"];
  headers.push(
    "after last ms",
    "window changes",
    "mean lag ms",
    "of which Reset rounding ms",
    "median window fill s",
    "total÷floor w/o rounding",
  );
  return { tables: [{ title: `Scale under the rate limit (${n} batches)`, headers, rows }], json: { n, phases: json } };
}
