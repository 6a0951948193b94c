// Deterministic fault injection: a seeded generator decides, request by request, whether and how a
// /v3 request fails, so a failing test run can be replayed exactly with the same seed.

import type { FaultKind, FaultOptions } from "./types";

/** mulberry32: a tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultDecision {
  kind: FaultKind;
  phase: "before" | "after";
  slowMs: number;
}

export const DEFAULT_SLOW_MS = 2000;

export class FaultInjector {
  private random: () => number = () => 0;
  private consecutive = 0;

  constructor(private options: FaultOptions | false) {
    this.configure(options);
  }

  configure(options: FaultOptions | false): void {
    this.options = options;
    this.consecutive = 0;
    if (options) this.random = seededRandom(options.seed);
  }

  /** The fault for the next request, or null. Draws the same amount of randomness per request. */
  next(): FaultDecision | null {
    const o = this.options;
    if (!o || o.kinds.length === 0) return null;
    const hit = this.random();
    const kindPick = this.random();
    const phasePick = this.random();
    const capped = o.maxConsecutive !== undefined && this.consecutive >= o.maxConsecutive;
    if (hit >= o.rate || capped) {
      this.consecutive = 0;
      return null;
    }
    this.consecutive += 1;
    const phase = o.phase ?? "before";
    return {
      kind: o.kinds[Math.floor(kindPick * o.kinds.length)],
      phase: phase === "mixed" ? (phasePick < 0.5 ? "before" : "after") : phase,
      slowMs: o.slowMs ?? DEFAULT_SLOW_MS,
    };
  }
}
