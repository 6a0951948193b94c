// SendGrid-style rate limiting: each endpoint has its own allowance per refresh period, reported in
// X-RateLimit-Limit / -Remaining / -Reset (Reset = unix epoch seconds of the period end). Exhausted
// → 429 until the period ends. Windows use real time, not the emulator clock, because clients sleep
// on the wall clock until Reset.

import type { RateLimitOptions } from "./types";

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

interface Window {
  startMs: number;
  count: number;
}

export class RateLimiter {
  private windows = new Map<string, Window>();

  constructor(
    private options: RateLimitOptions | false,
    private readonly realNowMs: () => number = Date.now,
  ) {}

  configure(options: RateLimitOptions | false): void {
    this.options = options;
    this.windows.clear();
  }

  reset(): void {
    this.windows.clear();
  }

  /** Counts one request of `subject` (API key's account) on `endpoint` (method + path template). */
  take(subject: string, endpoint: string): RateLimitVerdict | null {
    if (!this.options) return null;
    const { limit, windowSeconds } = this.options;
    const key = `${subject} ${endpoint}`;
    const now = this.realNowMs();
    let w = this.windows.get(key);
    if (!w || now >= w.startMs + windowSeconds * 1000) {
      w = { startMs: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    const allowed = w.count <= limit;
    return {
      allowed,
      headers: {
        "X-RateLimit-Limit": String(limit),
        "X-RateLimit-Remaining": String(Math.max(0, limit - w.count)),
        "X-RateLimit-Reset": String(Math.ceil((w.startMs + windowSeconds * 1000) / 1000)),
      },
    };
  }
}
