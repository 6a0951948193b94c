// Retrying, in one place: the policy numbers, SendGrid's rate-limit arithmetic, and `retry`, the one
// loop that both the SendGrid client and the Lambda's CloudFormation response use. SendGrid's
// client (@sendgrid/client) has no retry and no timeout of its own, so this layer owns both.

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
  /**
   * How long a pause/cancel refused with `max limit reached` keeps being retried, in ms. Default
   * 60000; 0 turns it off. The engine applies a stack's changes in parallel, so a pause can reach
   * SendGrid before the resume that frees its slot; waiting lets a plan that fits the quota apply.
   * Safe: the refused POST changed nothing, a retry succeeds only once a slot is free, and nothing
   * is ever released to make room.
   */
  maxQuotaWaitMs: number;
  /** Per-request timeout in ms. Default 20000. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  maxRateLimitRetries: 8,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  maxRateLimitWaitMs: 65_000,
  maxQuotaWaitMs: 60_000,
  timeoutMs: 20_000,
};

/**
 * `maxQuotaWaitMs` from `SENDGRID_QUOTA_WAIT_SECONDS` (whole seconds ≥ 0), for the adapters; empty
 * when unset or not such a number, so the caller's default stands.
 */
export function quotaWaitFromEnv(env: Record<string, string | undefined> = process.env): Partial<RetryOptions> {
  const raw = env.SENDGRID_QUOTA_WAIT_SECONDS?.trim();
  return raw !== undefined && /^\d{1,6}$/.test(raw) ? { maxQuotaWaitMs: Number(raw) * 1000 } : {};
}

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

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Whether this failure is worth another attempt. Called once per failure; `failures` counts it. */
  retryable: (error: unknown, failures: number) => boolean;
  /** The wait in ms before the next attempt, after `failures` failed ones. */
  delayMs: (error: unknown, failures: number) => number;
  /** Epoch ms: a wait that would end after it is not begun, and the last error stands. */
  deadline?: number;
  now?: () => number;
  sleep?: Sleep;
}

/**
 * Run `attempt` until it resolves, or until a failure is not retryable, the attempts are used up
 * or the deadline is near; then its last error is thrown. Never sleeps after the last attempt.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? realSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.maxAttempts || !policy.retryable(error, n)) throw error;
      const wait = policy.delayMs(error, n);
      if (policy.deadline !== undefined && now() + wait >= policy.deadline) throw error;
      await sleep(wait);
    }
  }
}
