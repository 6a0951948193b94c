// Retrying, in one place: the policy numbers, SendGrid's rate-limit arithmetic, and `retry`, the one
// loop that both the SendGrid client and the Lambda's CloudFormation response use. SendGrid's
// client (@sendgrid/client) has no retry and no timeout of its own, so this layer owns both.

import { SendGridError } from "./errors";

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

/** The environment variable that sets `maxQuotaWaitMs` in every adapter, in whole seconds. */
export const QUOTA_WAIT_ENV = "SENDGRID_QUOTA_WAIT_SECONDS";

/**
 * The longest wait for a free quota slot that may be asked for: 600 s. A slot comes free when
 * another change of the same run reaches SendGrid, which takes seconds; after minutes nothing in
 * the run is going to free one, and a longer wait only holds the engine (and the CI job) with no
 * progress while the batch stays unchanged. The Lambda's own budget is shorter still (its timeout,
 * at most 900 s, less the time to answer CloudFormation): there the wait ends before the event's
 * deadline (lambda/connect.ts), so the answer is the quota's.
 */
export const MAX_QUOTA_WAIT_SECONDS = 600;

/**
 * Why `SENDGRID_QUOTA_WAIT_SECONDS` cannot be used, or undefined when it is unset, blank or a whole
 * number of seconds from 0 to MAX_QUOTA_WAIT_SECONDS. A value we cannot read is refused, never
 * ignored: "60s", "off" or "-1" each mean something to whoever wrote it.
 */
export function quotaWaitProblem(env: Record<string, string | undefined> = process.env): string | undefined {
  const raw = env[QUOTA_WAIT_ENV];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = raw.trim();
  if (/^\d+$/.test(value) && Number(value) <= MAX_QUOTA_WAIT_SECONDS) return undefined;
  return `${QUOTA_WAIT_ENV} must be a whole number of seconds from 0 to ${MAX_QUOTA_WAIT_SECONDS} (how long a pause or cancel refused with "max limit reached" waits for a free slot; 0 turns the wait off), got ${JSON.stringify(raw)}`;
}

/**
 * `maxQuotaWaitMs` from `SENDGRID_QUOTA_WAIT_SECONDS`, for the adapters; empty when unset, so the
 * caller's default stands. A value quotaWaitProblem refuses throws INVALID_INPUT: adapters check
 * it first (at preview, before any request) and this only backs that up.
 */
export function quotaWaitFromEnv(env: Record<string, string | undefined> = process.env): Partial<RetryOptions> {
  const problem = quotaWaitProblem(env);
  if (problem) throw new SendGridError({ code: "INVALID_INPUT", message: problem });
  const raw = env[QUOTA_WAIT_ENV]?.trim();
  return raw ? { maxQuotaWaitMs: Number(raw) * 1000 } : {};
}

/** What a client waiting for a free quota slot reports (ClientOptions.onQuotaWait). */
export interface QuotaWaitInfo {
  /** The refused request, e.g. POST /v3/user/scheduled_sends. */
  method: string;
  path: string;
  /** The batch it would pause or cancel, and how, when the request says. */
  batchId?: string;
  status?: string;
  /** How long it has waited so far, and will at most, in ms. */
  waitedMs: number;
  maxWaitMs: number;
}

/** The line an adapter prints while its client waits for a free quota slot. */
export function describeQuotaWait(info: QuotaWaitInfo): string {
  const verb = info.status === "pause" ? "pause" : info.status === "cancel" ? "cancel" : "change";
  const what = info.batchId ? `${verb} batch ${info.batchId}` : `${info.method} ${info.path}`;
  const waited = Math.round(info.waitedMs / 1000);
  const max = Math.round(info.maxWaitMs / 1000);
  return (
    `waiting for a free slot to ${what}: SendGrid holds its limit of batches paused or cancelled at once ("max limit reached"). ` +
    `Retrying while other changes of this run may free one: ${waited} s of at most ${max} s (${QUOTA_WAIT_ENV} sets it, 0 turns it off); nothing is resumed to make room`
  );
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

/** A wait of `ms`; one that takes `signal` ends early when it is aborted (realSleep does). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * `sleep(ms)`, over as soon as `signal` is aborted even when that sleep ignores the signal (a test's
 * recording sleep): a caller that stopped waiting never has a wait of its own go on.
 */
export function sleepUnlessAborted(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    sleep(ms, signal).then(done, (err: unknown) => {
      signal.removeEventListener("abort", done);
      reject(err);
    });
  });
}

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
  /**
   * The caller stopped waiting (a Lambda's deadline): once aborted, no wait goes on, no attempt
   * starts and no failure is retried; the loop throws `abortedError()` (or the failure in hand).
   */
  signal?: AbortSignal;
  abortedError?: () => unknown;
}

/**
 * Run `attempt` until it resolves, or until a failure is not retryable, the attempts are used up,
 * the deadline is near or `signal` is aborted; then its last error is thrown (abortedError() when
 * aborted between attempts). Never sleeps after the last attempt.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? realSleep;
  const { signal } = policy;
  const stopped = () => (policy.abortedError ? policy.abortedError() : signal?.reason);
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw stopped();
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted || n >= policy.maxAttempts || !policy.retryable(error, n)) throw error;
      const wait = policy.delayMs(error, n);
      if (policy.deadline !== undefined && now() + wait >= policy.deadline) throw error;
      await sleepUnlessAborted(sleep, wait, signal);
    }
  }
}
