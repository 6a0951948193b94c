// The batch lifecycle as the adapters use it: create or adopt, move to a status, read, cancel.
// Each operation executes `plan` optimistically from the status we believe the batch has, and
// re-reads SendGrid only when SendGrid says the belief was wrong (drift, or a retried request that
// had in fact succeeded). So a transition costs one request in the normal case.

import type { SendGridBatchClient } from "./client";
import { SendGridError, describeError } from "./errors";
import { plan, type Step } from "./plan";
import type { BatchStatus } from "./types";
import { nowSeconds } from "./clock";
import { formatDuration, pastCutoff } from "./validate";

/** Thrown when a batch exists on SendGrid but a later step failed: the caller must record it. */
export class PartialFailureError extends Error {
  readonly batchId: string;
  readonly status: BatchStatus | "unknown";
  constructor(batchId: string, status: BatchStatus | "unknown", cause: unknown) {
    super(`batch ${batchId} was created but could not be brought to the requested status: ${describeError(cause)}`, { cause });
    this.name = "PartialFailureError";
    this.batchId = batchId;
    this.status = status;
  }
}

async function execute(client: SendGridBatchClient, batchId: string, step: Step): Promise<void> {
  switch (step.kind) {
    case "createStatus":
      return client.createStatus(batchId, step.status);
    case "updateStatus":
      return client.updateStatus(batchId, step.status);
    case "clearStatus":
      return client.clearStatus(batchId);
  }
}

/** SendGrid's answers that mean "the status is not what you assumed": re-read and re-plan. */
function isStaleBelief(err: unknown): boolean {
  return err instanceof SendGridError && (err.code === "STATUS_EXISTS" || err.code === "BATCH_NOT_FOUND");
}

/**
 * Bring `batchId` to `desired`. `believed` is the status recorded in state; when omitted, the
 * status is read first. Returns the status SendGrid now holds.
 */
export async function applyStatus(
  client: SendGridBatchClient,
  batchId: string,
  desired: BatchStatus,
  believed?: BatchStatus,
): Promise<BatchStatus> {
  let current = believed ?? (await requireBatch(client, batchId));
  for (let round = 0; ; round++) {
    try {
      for (const step of plan(current, desired)) await execute(client, batchId, step);
      return desired;
    } catch (err) {
      if (!isStaleBelief(err) || round >= 2) throw err;
      // requireBatch, not getStatus: an id the account does not know also reads as "no status", and
      // a resume would then "succeed" having changed nothing.
      current = await requireBatch(client, batchId);
    }
  }
}

/**
 * Mint a new batch id and bring it to `desired` (1 call for active, 2 otherwise). `onCreated`
 * hears the id as soon as it exists, so a caller cut short (a Lambda deadline) can still record it.
 */
export async function createBatch(
  client: SendGridBatchClient,
  desired: BatchStatus,
  onCreated?: (batchId: string) => void,
): Promise<{ batchId: string; status: BatchStatus }> {
  const batchId = await client.createBatchId();
  try {
    // Inside the try: a caller that cannot record the id (a journal that cannot be written) stops
    // the create before the status write, and the id is still reported (PartialFailureError).
    onCreated?.(batchId);
    return { batchId, status: await applyStatus(client, batchId, desired, "active") };
  } catch (err) {
    // The id exists now. Learn its real status if we can, so the record matches SendGrid.
    const status = await client.getStatus(batchId).catch((): "unknown" => "unknown");
    throw new PartialFailureError(batchId, status, err);
  }
}

/**
 * Take over an existing batch: check it belongs to this account, then bring it to `desired`.
 * A batch with a status is known to exist (1 read); one without is validated (2 reads).
 */
export async function adoptBatch(
  client: SendGridBatchClient,
  batchId: string,
  desired: BatchStatus,
): Promise<{ batchId: string; status: BatchStatus }> {
  const current = await readBatch(client, batchId);
  if (current === undefined) {
    throw new SendGridError({
      code: "INVALID_BATCH_ID",
      message: `batchId ${batchId} is not a batch of this SendGrid account`,
      hint: "Check batchId, and onBehalfOf/region if the batch belongs to a subuser or the EU region",
    });
  }
  return { batchId, status: await applyStatus(client, batchId, desired, current) };
}

/** The batch's status, or undefined when SendGrid does not know the id in this account. */
export async function readBatch(client: SendGridBatchClient, batchId: string): Promise<BatchStatus | undefined> {
  const status = await client.getStatus(batchId);
  if (status !== "active") return status;
  return (await client.validateBatchId(batchId)) ? "active" : undefined;
}

/**
 * A batch this resource created or adopted that the account does not know. SendGrid has no way to
 * delete a batch id, so this is never "gone": the key, account, region or subuser is not the one
 * the batch was made with. Facts only; each adapter says which of its settings to check and how
 * to stop managing the batch.
 */
export function unknownBatch(client: SendGridBatchClient, batchId: string): SendGridError {
  return new SendGridError({
    code: "UNKNOWN_BATCH",
    message: `SendGrid does not know batch ${batchId} in the account this call used (${client.accountLabel})`,
    hint: "SendGrid cannot delete a batch id, so the API key, account, region or subuser differs from the one the batch was made with. Nothing was changed",
  });
}

/** The status of a batch that must exist (one recorded in state): UNKNOWN_BATCH when the account does not know it. */
export async function requireBatch(client: SendGridBatchClient, batchId: string): Promise<BatchStatus> {
  const status = await readBatch(client, batchId);
  if (status === undefined) throw unknownBatch(client, batchId);
  return status;
}

export type CancelOutcome = "cancelled" | "already-cancelled";

export interface CancelOptions {
  /** The send time the user declared (Unix seconds), if any: it tells a refusal "too late". */
  sendAt?: number;
  /** Current time in Unix seconds (default: the clock). */
  now?: number;
}

/**
 * Delete = cancel, never DELETE /scheduled_sends (that would release the mail). Idempotent:
 * an already-cancelled batch costs one read and no write. An id the account does not know is
 * UNKNOWN_BATCH, never success. A 400 past the 10-minute cut-off of the declared send time
 * becomes TOO_LATE.
 */
export async function cancelBatch(
  client: SendGridBatchClient,
  batchId: string,
  believed?: BatchStatus,
  opts: CancelOptions = {},
): Promise<CancelOutcome> {
  try {
    if (believed === "cancelled" || believed === undefined) {
      const actual = await requireBatch(client, batchId);
      if (actual === "cancelled") return "already-cancelled";
      believed = actual;
    }
    await applyStatus(client, batchId, "cancelled", believed);
    return "cancelled";
  } catch (err) {
    // POST /scheduled_sends answers `invalid batch id` for an id the account does not know.
    if (err instanceof SendGridError && err.code === "INVALID_BATCH_ID") throw unknownBatch(client, batchId);
    // A refusal the client took as the quota (its words, or all slots held) is QUOTA_EXCEEDED here.
    throw tooLate(err, opts.sendAt, opts.now ?? nowSeconds()) ?? err;
  }
}

/**
 * SendGrid documents no message for a pause or cancel refused near send_at, so "too late" is told
 * from what we know: a 400 whose words name nothing else (BAD_REQUEST) while the declared send time
 * is past the cut-off. A refusal SendGrid does name (`max limit reached`, `invalid batch id`, a
 * status that exists; 401, 403, 429, 5xx) is that, never "too late", whatever the clock says: a
 * declared sendAt can be stale, and calling a full quota "too late" would let the mail go out.
 * SendGrid's own message is kept; the hint says what it means.
 */
export function tooLate(err: unknown, sendAt: number | undefined, now: number): SendGridError | undefined {
  if (!(err instanceof SendGridError) || err.code !== "BAD_REQUEST" || err.status !== 400) return undefined;
  if (sendAt === undefined || !pastCutoff(sendAt, now)) return undefined;
  const when = sendAt > now ? `is ${formatDuration(sendAt - now)} away` : `passed ${formatDuration(now - sendAt)} ago`;
  return new SendGridError({
    ...err,
    code: "TOO_LATE",
    message: err.summary,
    hint: `The declared send time (${new Date(sendAt * 1000).toISOString()}) ${when}: SendGrid refuses pause or cancel later than 10 minutes before send_at, so the batch keeps its status (an active batch's mail goes out as scheduled, a paused batch's stays held)`,
  });
}
