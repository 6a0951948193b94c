// The SendGrid client of one event: the key from its source, the Lambda's own retry budget and
// words, every HTTP attempt counted for the log line.

import {
  SendGridError,
  clientFor,
  describeQuotaWait,
  quotaWaitFromEnv,
  quotaWaitProblem,
  type AttemptInfo,
  type BatchSpec,
  type SendGridBatchClient,
} from "../core";
import { fetchApiKey } from "./apiKey";
import type { ApiKeySource } from "../core/keySource";
import { LAMBDA_HINTS } from "./reasons";

/** What connecting needs of the event's context (lambda/operations.ts OperationContext). */
export interface ConnectContext {
  now: () => number;
  /** Aborted at the deadline, before the answer: the AWS SDK calls and the SendGrid client honour it. */
  signal: AbortSignal;
  /** Every SendGrid HTTP attempt that ended, as "METHOD /path status" (for the log line and timeout reasons). */
  calls: string[];
  /** SendGrid requests abandoned in flight at the deadline, as "METHOD /path": they may still have reached SendGrid. */
  abandoned: string[];
  /** Called once the key is known, so the log can make sure it never prints it. */
  onKey?: (key: string) => void;
  /**
   * Epoch ms when the event's work is cut short (its deadline): a wait for a free quota slot ends
   * early enough before it that the answer is the quota's, with its ways out, not "Timed out".
   */
  workEndsAt?: number;
  /** Where a line goes while the client waits for a free quota slot (default: a JSON line on stdout → CloudWatch). */
  onQuotaWait?: (line: string) => void;
}

// The Lambda has its own time budget (the deadline timer answers first), so no single SendGrid
// call may eat most of it: shorter per-request timeout, 429 wait and `max limit reached` wait than
// the core's defaults (SENDGRID_QUOTA_WAIT_SECONDS in the function's environment overrides the last;
// it is read per event, here, so a bad value is a FAILED answer and not a crash at load).
const LAMBDA_RETRY = { timeoutMs: 15_000, maxRateLimitWaitMs: 30_000, maxQuotaWaitMs: 30_000 };

/**
 * Time kept between the end of a quota wait and the event's deadline: the last refused request and
 * its answer fit in it, so the event answers with the quota's reason and its ways out.
 */
const QUOTA_WAIT_MARGIN_MS = 5_000;

/** The quota wait asked for (SENDGRID_QUOTA_WAIT_SECONDS, else LAMBDA_RETRY's), ending before the event's deadline. */
function quotaWaitMs(ctx: ConnectContext): number {
  const asked = quotaWaitFromEnv().maxQuotaWaitMs ?? LAMBDA_RETRY.maxQuotaWaitMs;
  if (ctx.workEndsAt === undefined) return asked;
  return Math.max(0, Math.min(asked, ctx.workEndsAt - ctx.now() - QUOTA_WAIT_MARGIN_MS));
}

export async function connect(spec: BatchSpec, keySource: ApiKeySource, ctx: ConnectContext): Promise<SendGridBatchClient> {
  const waitProblem = quotaWaitProblem();
  if (waitProblem) throw new SendGridError({ code: "INVALID_INPUT", message: `${waitProblem}: fix the function's environment` });
  const apiKey = await fetchApiKey(keySource, { signal: ctx.signal, now: ctx.now });
  ctx.onKey?.(apiKey);
  const onAttempt = (a: AttemptInfo) =>
    a.error === "ABORTED"
      ? ctx.abandoned.push(`${a.method} ${a.path}`)
      : ctx.calls.push(`${a.method} ${a.path} ${a.status ?? a.error ?? "?"}`);
  // clientFor builds a fresh client (the event's own: it holds the event's signal); the rate-limit
  // gates stay shared.
  return clientFor(
    { apiKey, onBehalfOf: spec.onBehalfOf, region: spec.region, apiUrl: spec.apiUrl },
    {
      retry: { ...LAMBDA_RETRY, maxQuotaWaitMs: quotaWaitMs(ctx) },
      signal: ctx.signal,
      onAttempt,
      onQuotaWait: (info) => (ctx.onQuotaWait ?? logQuotaWait)(describeQuotaWait(info)),
      hints: LAMBDA_HINTS,
    },
  );
}

/** The wait for a quota slot, said while it lasts (the event's own log line comes only at its end). */
const logQuotaWait = (line: string): void => console.log(JSON.stringify({ level: "info", message: line }));
