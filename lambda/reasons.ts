// What CloudFormation's Reason says when an event fails: the core's facts in a CloudFormation
// user's words (where the key and settings come from, what to do next).

import { MustRecordError, SendGridError, advise, describeError, type Advice, type ClientHints } from "../core";
import { ApiKeyError, clearApiKeyCache } from "./apiKey";
import { StackRecordError } from "./stackRecord";
import type { ApiKeySource } from "../core/keySource";

/** The advice per error code, in place of the core's neutral hint (also the client's `hints`). */
export const LAMBDA_HINTS: ClientHints = {
  AUTH_REJECTED: "The API key was rejected: put an active key into the secret/parameter named by ApiKeySecretArn/ApiKeyParameterName",
  NETWORK: "Check ApiUrl/Region and that the function can reach SendGrid (no VPC without NAT), then retry the stack operation",
  TIMEOUT: "SendGrid did not answer in time; retry the stack operation (check status.sendgrid.com)",
  INVALID_BATCH_ID: "The batch id is unknown to this account: check BatchId, OnBehalfOf and Region",
  UNKNOWN_BATCH:
    "SendGrid cannot delete a batch id, so the key in the secret/parameter named by ApiKeySecretArn/ApiKeyParameterName, or Region/OnBehalfOf/ApiUrl, is not the account that made this batch; nothing was changed. Put that account's key back and retry the stack operation. To remove the resource without cancelling the batch (it keeps its status: an active batch's mail goes out as scheduled), retain it: DeletionPolicy: Retain, or `aws cloudformation delete-stack --retain-resources <LogicalId>` once the stack is DELETE_FAILED",
  NOT_SENDGRID:
    'Check ApiUrl/Region: ApiUrl must be the origin of SendGrid\'s API (e.g. "https://api.sendgrid.com"), or leave it out and set Region',
};

/** How to remove a resource without cancelling its batch, in CloudFormation's words. */
const RETAIN =
  "DeletionPolicy: Retain, or `aws cloudformation delete-stack --retain-resources <LogicalId>` once the stack is DELETE_FAILED";

/**
 * The advice explain() gives: LAMBDA_HINTS, and for the lifecycle's TOO_LATE (a cancel refused
 * within 10 minutes of the declared SendAt) the ways out of a Delete CloudFormation must not count
 * as done: the refusal concerns the batch's earliest message, and mail the batch holds for later
 * could still be cancelled.
 */
const LAMBDA_ADVICE: Advice = {
  ...LAMBDA_HINTS,
  TOO_LATE: (e) =>
    `${e.hint}. Nothing was cancelled, and the stack keeps the resource. Retry the stack operation once the send time has passed: SendGrid takes the cancel then (mail already due has gone out; mail the batch holds for later is discarded). ` +
    `Or remove the resource without cancelling the batch (it keeps its status: an active batch's mail goes out as scheduled): ${RETAIN}`,
};

/**
 * A reason a person can act on, for any error an operation throws. The client already words its
 * own errors with LAMBDA_HINTS; this also covers the ones the core makes itself (UNKNOWN_BATCH,
 * an adopted id that is not the account's).
 */
export function explain(err: unknown, keySource?: ApiKeySource): string {
  // CloudFormation records no status mid-operation: the failure itself is the answer.
  if (err instanceof MustRecordError) return explain(err.cause, keySource);
  if (err instanceof ApiKeyError || err instanceof StackRecordError) return err.message;
  if (err instanceof SendGridError) {
    if (err.code === "AUTH_REJECTED" && keySource) clearApiKeyCache(keySource); // re-read a rotated key next time
    return advise(err, LAMBDA_ADVICE).message;
  }
  return `Unexpected error: ${describeError(err)}`;
}

/**
 * The Reason of an event the deadline cut short, naming the last SendGrid answer it had and any
 * request abandoned in flight (everything the event had started was stopped before this answer).
 */
export function timeoutReason(requestType: string, workMs: number, remainingMs: number, calls: string[], abandoned: string[] = []): string {
  const last = calls.length ? `; last SendGrid answer: ${calls[calls.length - 1]}` : "; no SendGrid answer yet";
  const orphan = requestType === "Create" ? " If a batch was created meanwhile it stays unused and sends nothing." : "";
  // The abandoned request left before the deadline: SendGrid may have applied it. Nothing more is
  // sent for this event; a retried or rolled-back operation reads what SendGrid holds before it
  // relies on it (a write whose belief is stale is re-read and re-planned).
  const inFlight = abandoned.length
    ? ` Stopped at the deadline without an answer: ${abandoned.join(", ")}; it may still have reached SendGrid, so the batch may already hold the requested status. Nothing more was sent for this request.`
    : "";
  return (
    `Timed out: the ${requestType || "request"} did not finish within ${(workMs / 1000).toFixed(1)} s ` +
    `(the function had ${(remainingMs / 1000).toFixed(1)} s left; the rest is kept for answering CloudFormation)${last}.` +
    `${inFlight}${orphan} Retry the stack operation (or let CloudFormation roll back: either reconciles with what SendGrid holds); if it keeps happening, check SendGrid's status and raise the function's Timeout.`
  );
}
