// Retry timing: pure functions plus one small loop. SendGrid's client (@sendgrid/client) has no
// retry and no timeout of its own, so this layer owns both.

export interface RetryOptions {
  /** Attempts for 5xx, connection errors and timeouts (including the first). Default 4. */
  maxAttempts: number;
  /** Separate budget of 429 retries: each one waits for SendGrid's window to reset. Default 8. */
  maxRateLimitRetries: number;
  /** First backoff step in ms; doubles each attempt, with full jitter. Default 250. */
  baseDelayMs: number;
  /** Upper bound of one backoff step. Default 4000. */
  maxDelayMs: number;
  /** Never sleep longer than this for one 429, whatever X-RateLimit-Reset says. Default 65000. */
  maxRateLimitWaitMs: number;
  /** Per-request timeout in ms. Default 20000. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  maxRateLimitRetries: 8,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  maxRateLimitWaitMs: 65_000,
  timeoutMs: 20_000,
};

/**
 * How long to wait after a 429, from SendGrid's `X-RateLimit-Reset` header.
 * SendGrid documents the header as a Unix epoch in seconds; some proxies send a delta in
 * seconds instead, so small values are read as a delta. Missing, unparsable or past values
 * fall back to one second. The result is capped by `capMs`.
 */
export function rateLimitWaitMs(resetHeader: string | undefined, nowMs: number, capMs: number): number {
  const fallback = 1000;
  const raw = resetHeader === undefined ? NaN : Number(resetHeader.trim());
  let wait: number;
  if (!Number.isFinite(raw) || raw < 0) {
    wait = fallback;
  } else if (raw < 1_000_000_000) {
    wait = raw * 1000; // a delta in seconds
  } else {
    // An epoch in seconds: the window resets at the start of that second.
    wait = raw * 1000 - nowMs;
    if (wait <= 0) wait = fallback;
  }
  return Math.min(Math.max(wait, 0), capMs);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^attempt)]. */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">, random: () => number): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
