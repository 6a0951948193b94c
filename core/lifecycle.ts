// The resource lifecycle the Pulumi adapters share (the dynamic provider in provider/runtime.ts, the
// provider plugin in plugin/resource.ts): create or adopt, update, refresh, delete, over the batch
// operations of batches.ts. Each function takes a client and what state recorded, and returns (or
// throws, as MustRecordError) what state must record next; the adapters only translate their
// host's shapes. Same SendGrid calls whichever adapter runs it.

import { PartialFailureError, adoptBatch, applyStatus, cancelBatch, createBatch, readBatch, type CancelOutcome } from "./batches";
import type { SendGridBatchClient } from "./client";
import { describeError } from "./errors";
import type { BatchStatus } from "./types";
import { parseSendAt } from "./validate";

/**
 * An operation failed after SendGrid changed: state must record batch `batchId` with `status`, or
 * the next run would orphan a batch that now exists (a partial create) or plan from a status
 * SendGrid no longer holds (a failed update). The message is the failure's own.
 */
export class MustRecordError extends Error {
  readonly batchId: string;
  readonly status: BatchStatus;
  constructor(message: string, batchId: string, status: BatchStatus, cause: unknown) {
    super(message, { cause });
    this.name = "MustRecordError";
    this.batchId = batchId;
    this.status = status;
  }
}

/** What state recorded for a batch (the outputs of an earlier operation). */
export interface RecordedBatch {
  status?: BatchStatus;
  /** The declared send time, as the user wrote it (Unix seconds or an ISO 8601 string). */
  sendAt?: unknown;
  adopted?: boolean;
}

export interface Provisioned {
  batchId: string;
  status: BatchStatus;
  /** True when the batch was adopted through `batchId` rather than created. */
  adopted: boolean;
}

/**
 * Create: adopt `batchId` when given (checked to be this account's), else mint a new batch; then
 * bring it to `status` (default active). A batch minted but not brought to its status throws
 * MustRecordError with the status it has ("unknown" is recorded as active, the status of a new id).
 */
export async function provision(client: SendGridBatchClient, desired: { status?: BatchStatus; batchId?: string }): Promise<Provisioned> {
  const status = desired.status ?? "active";
  if (desired.batchId !== undefined) return { ...(await adoptBatch(client, desired.batchId, status)), adopted: true };
  try {
    return { ...(await createBatch(client, status)), adopted: false };
  } catch (err) {
    if (err instanceof PartialFailureError) {
      throw new MustRecordError(err.message, err.batchId, err.status === "unknown" ? "active" : err.status, err);
    }
    throw err;
  }
}

/**
 * Update: bring `batchId` from the `believed` status to `desired` (default active). On failure,
 * SendGrid is read once more: a status other than the believed one throws MustRecordError (so
 * state and SendGrid never disagree); otherwise the failure is thrown as it is.
 */
export async function converge(
  client: SendGridBatchClient,
  batchId: string,
  desired: BatchStatus | undefined,
  believed: BatchStatus | undefined,
): Promise<BatchStatus> {
  try {
    return await applyStatus(client, batchId, desired ?? "active", believed);
  } catch (err) {
    const actual = await client.getStatus(batchId).catch(() => undefined);
    if (actual !== undefined && actual !== believed) throw new MustRecordError(describeError(err), batchId, actual, err);
    throw err;
  }
}

export interface Refreshed {
  status: BatchStatus;
  adopted: boolean;
  /** The inputs that describe the batch as it is: its status, the recorded sendAt, and batchId when adopted. */
  inputs: { status: BatchStatus; sendAt?: unknown; batchId?: string };
}

/** Refresh: what SendGrid holds for `batchId`, or undefined when SendGrid no longer knows it (state drops it). */
export async function refresh(client: SendGridBatchClient, batchId: string, recorded: RecordedBatch): Promise<Refreshed | undefined> {
  const status = await readBatch(client, batchId);
  if (status === undefined) return undefined;
  const adopted = recorded.adopted === true;
  const inputs: Refreshed["inputs"] = { status };
  if (recorded.sendAt !== undefined && recorded.sendAt !== null) inputs.sendAt = recorded.sendAt;
  if (adopted) inputs.batchId = batchId;
  return { status, adopted, inputs };
}

/**
 * Delete: cancel the batch (cancelBatch: never DELETE, idempotent). The declared sendAt goes with
 * it, so a refusal within SendGrid's 10-minute cut-off reads as TOO_LATE, whatever SendGrid's words.
 */
export async function retire(client: SendGridBatchClient, batchId: string, recorded: RecordedBatch): Promise<CancelOutcome> {
  const sendAt = recorded.sendAt === undefined || recorded.sendAt === null ? undefined : parseSendAt(recorded.sendAt);
  return cancelBatch(client, batchId, recorded.status, { sendAt: sendAt && "seconds" in sendAt ? sendAt.seconds : undefined });
}
