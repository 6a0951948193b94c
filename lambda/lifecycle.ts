// Create / Update / Delete of Custom::SendGridScheduledBatch, over the core's batch operations.
// Each returns an Outcome (what to answer CloudFormation); the handler owns sending it.
//
// Physical id = batch id. A failed Create answers with MARKER_ID, which its rollback Delete then
// recognises and skips (the CDK provider framework's rule; crhelper's random ids make that Delete
// act on garbage, custom-resource-helper#7).

import {
  PartialFailureError,
  SendGridError,
  adoptBatch,
  applyStatus,
  cancelBatch,
  clientFor,
  createBatch,
  describeError,
  readBatch,
  isBatchId,
  quotaWaitFromEnv,
  quotaWaitProblem,
  describeQuotaWait,
  type AttemptInfo,
  type BatchSpec,
  type BatchStatus,
  type SendGridBatchClient,
} from "../core";
import { ApiKeyError, clearApiKeyCache, fetchApiKey } from "./apiKey";
import { changedProperties, declaredStatus, describeFailures, parseProperties, type ApiKeySource, type RawProperties } from "./properties";

/** The physical id of a Create that failed before any batch existed. Not a valid batch id (colons). */
export const MARKER_ID = "SendGridScheduledBatch::CREATE_FAILED";

export interface Outcome {
  status: "SUCCESS" | "FAILED";
  physicalResourceId: string;
  reason?: string;
  data?: Record<string, string>;
  /** What happened, for the log line ("created", "no-op", "cancelled", …). */
  action: string;
  warning?: string;
}

export interface OperationContext {
  now: () => number;
  /** Aborted at the deadline (AWS SDK calls honour it). */
  signal: AbortSignal;
  /** Every SendGrid HTTP attempt, as "METHOD /path status" (for the log line and timeout reasons). */
  calls: string[];
  /** Called once the key is known, so the log can make sure it never prints it. */
  onKey?: (key: string) => void;
  /** Where a line goes while the client waits for a free quota slot (default: a JSON line on stdout → CloudWatch). */
  onQuotaWait?: (line: string) => void;
  /** Set as soon as a Create has minted a batch id, so even a deadline answer can name it. */
  created?: string;
}

// The Lambda has its own time budget (the deadline timer answers first), so no single SendGrid
// call may eat most of it: shorter per-request timeout, 429 wait and `max limit reached` wait than
// the core's defaults (SENDGRID_QUOTA_WAIT_SECONDS in the function's environment overrides the last;
// it is read per event, in connect, so a bad value is a FAILED answer and not a crash at load).
const LAMBDA_RETRY = { timeoutMs: 15_000, maxRateLimitWaitMs: 30_000, maxQuotaWaitMs: 30_000 };

function data(batchId: string, status: BatchStatus): Record<string, string> {
  return { BatchId: batchId, Status: status };
}

async function connect(spec: BatchSpec, keySource: ApiKeySource, ctx: OperationContext): Promise<SendGridBatchClient> {
  const waitProblem = quotaWaitProblem();
  if (waitProblem) throw new SendGridError({ code: "INVALID_INPUT", message: `${waitProblem}: fix the function's environment` });
  const apiKey = await fetchApiKey(keySource, { signal: ctx.signal, now: ctx.now });
  ctx.onKey?.(apiKey);
  const onAttempt = (a: AttemptInfo) => ctx.calls.push(`${a.method} ${a.path} ${a.status ?? a.error ?? "?"}`);
  // clientFor builds a fresh client when onAttempt is given; the rate-limit gates stay shared.
  return clientFor(
    { apiKey, onBehalfOf: spec.onBehalfOf, region: spec.region, apiUrl: spec.apiUrl },
    {
      retry: { ...LAMBDA_RETRY, ...quotaWaitFromEnv() },
      onAttempt,
      onQuotaWait: (info) => (ctx.onQuotaWait ?? logQuotaWait)(describeQuotaWait(info)),
    },
  );
}

/** The wait for a quota slot, said while it lasts (the event's own log line comes only at its end). */
const logQuotaWait = (line: string): void => console.log(JSON.stringify({ level: "info", message: line }));

// Hints that name the Pulumi adapter's settings are replaced by what a CloudFormation user does.
const LAMBDA_HINTS: Partial<Record<string, string>> = {
  AUTH_REJECTED: "The API key was rejected: put an active key into the secret/parameter named by ApiKeySecretArn/ApiKeyParameterName",
  NETWORK: "Check ApiUrl/Region and that the function can reach SendGrid (no VPC without NAT), then retry the stack operation",
  TIMEOUT: "SendGrid did not answer in time; retry the stack operation (check status.sendgrid.com)",
  INVALID_BATCH_ID: "The batch id is unknown to this account: check BatchId, OnBehalfOf and Region",
  UNKNOWN_BATCH:
    "SendGrid cannot delete a batch id, so the key in the secret/parameter named by ApiKeySecretArn/ApiKeyParameterName, or Region/OnBehalfOf/ApiUrl, is not the account that made this batch; nothing was changed. Put that account's key back and retry the stack operation. To remove the resource without cancelling the batch (it keeps its status: an active batch's mail goes out as scheduled), retain it: DeletionPolicy: Retain, or `aws cloudformation delete-stack --retain-resources <LogicalId>` once the stack is DELETE_FAILED",
  NOT_SENDGRID:
    'Check ApiUrl/Region: ApiUrl must be the origin of SendGrid\'s API (e.g. "https://api.sendgrid.com"), or leave it out and set Region',
};

/** A reason a person can act on, for any error the operations throw. */
export function explain(err: unknown, keySource?: ApiKeySource): string {
  if (err instanceof ApiKeyError) return err.message;
  if (err instanceof SendGridError) {
    if (err.code === "AUTH_REJECTED" && keySource) clearApiKeyCache(keySource); // re-read a rotated key next time
    const hint = LAMBDA_HINTS[err.code];
    if (hint === undefined) return err.message;
    return `${err.summary}. ${hint}`;
  }
  if (err instanceof PartialFailureError) return err.message;
  return `Unexpected error: ${describeError(err)}`;
}

function invalid(physicalResourceId: string, reason: string): Outcome {
  return { status: "FAILED", physicalResourceId, reason, action: "invalid-properties" };
}

/**
 * Create or adopt a batch for `spec` and answer SUCCESS with its id; used by Create and by a
 * replacing Update. Each names the action (`action(adopted)`) and answers a batch that was made but
 * left in the wrong status (PartialFailureError) its own way (`partial`); other errors are thrown.
 */
async function makeBatch(
  spec: BatchSpec,
  keySource: ApiKeySource,
  ctx: OperationContext,
  action: (adopted: boolean) => string,
  partial: (err: PartialFailureError) => Omit<Outcome, "status">,
): Promise<Outcome> {
  try {
    const client = await connect(spec, keySource, ctx);
    const adoptId = spec.batchId;
    const made =
      adoptId !== undefined
        ? await adoptBatch(client, adoptId, spec.status)
        : await createBatch(client, spec.status, (id) => (ctx.created = id));
    return {
      status: "SUCCESS",
      physicalResourceId: made.batchId,
      data: data(made.batchId, made.status),
      action: action(adoptId !== undefined),
    };
  } catch (err) {
    if (err instanceof PartialFailureError) return { status: "FAILED", ...partial(err) };
    throw err;
  }
}

export async function onCreate(props: RawProperties, ctx: OperationContext): Promise<Outcome> {
  const parsed = parseProperties(props, { now: Math.floor(ctx.now() / 1000) });
  if (parsed.failures.length || !parsed.keySource) return invalid(MARKER_ID, describeFailures(parsed.failures));
  const keySource = parsed.keySource;
  try {
    return await makeBatch(
      parsed.spec,
      keySource,
      ctx,
      (adopted) => (adopted ? "adopted" : "created"),
      // The batch exists but is not in the asked-for status. Answering FAILED *with its id* makes
      // CloudFormation's rollback send Delete for that id, which cancels it: nothing is orphaned.
      (err) => ({
        physicalResourceId: err.batchId,
        reason: `${explain(err.cause, keySource)} (batch ${err.batchId} was created; the stack rollback cancels it)`,
        action: "partially-created",
      }),
    );
  } catch (err) {
    return { status: "FAILED", physicalResourceId: MARKER_ID, reason: explain(err, parsed.keySource), action: "create-failed" };
  }
}

export async function onUpdate(id: string, props: RawProperties, oldProps: RawProperties, ctx: OperationContext): Promise<Outcome> {
  const parsed = parseProperties(props, { now: Math.floor(ctx.now() / 1000), previous: oldProps });
  if (parsed.failures.length || !parsed.keySource) return invalid(id, describeFailures(parsed.failures));
  const { spec, keySource } = parsed;

  // Only our own properties count: a change of ServiceTimeout (or ServiceToken's casing) alone
  // still arrives as an Update, and must keep the id and make no call.
  const changed = changedProperties(id, oldProps, props);
  if (changed.replaces.length === 0 && changed.updates.length === 0) {
    return { status: "SUCCESS", physicalResourceId: id, data: data(id, spec.status), action: "no-op" };
  }

  const adoptOther = changed.replaces.includes("BatchId");
  const identityChanged = changed.replaces.some((k) => k !== "BatchId");
  try {
    if (adoptOther || identityChanged) {
      // A batch belongs to one account on one host: another Region/OnBehalfOf/ApiUrl (or another
      // BatchId to adopt) is another batch. Returning a new id makes CloudFormation Delete (cancel)
      // the old one after the stack update succeeds.
      if (!adoptOther) {
        // A rollback Update swaps the property maps but keeps the original id: when the current id
        // already belongs to the new account, this is that rollback, and the update is in place.
        const client = await connect(spec, keySource, ctx);
        const current = await readBatch(client, id);
        if (current !== undefined) {
          const status = await applyStatus(client, id, spec.status, current);
          return { status: "SUCCESS", physicalResourceId: id, data: data(id, status), action: "in-place (id belongs to the new account)" };
        }
      }
      return await makeBatch(
        spec,
        keySource,
        ctx,
        (adopted) => (adopted ? "replaced (adopted)" : "replaced"),
        // A failed Update keeps the old id; the new, still-active batch has no mail and sends
        // nothing, but name it so an operator can cancel it.
        (err) => ({
          physicalResourceId: id,
          reason: `${explain(err.cause, keySource)} (replacement batch ${err.batchId} was created and left unused)`,
          action: "replace-failed",
        }),
      );
    }
    const client = await connect(spec, keySource, ctx);
    const status = await applyStatus(client, id, spec.status, declaredStatus(oldProps));
    return { status: "SUCCESS", physicalResourceId: id, data: data(id, status), action: `updated (${changed.updates.join(", ")})` };
  } catch (err) {
    return { status: "FAILED", physicalResourceId: id, reason: explain(err, keySource), action: "update-failed" };
  }
}

/** True for ids CloudFormation invents itself (`<stack>-<LogicalId>-<RANDOM>`), never SendGrid's. */
export function looksGeneratedByCloudFormation(id: string, logicalResourceId: string): boolean {
  return logicalResourceId !== "" && (id.startsWith(`${logicalResourceId}-`) || id.includes(`-${logicalResourceId}-`));
}

// On Delete only the connection matters; Status/SendAt/BatchId problems (an older property shape,
// a send time now past) must not keep a stack from being deleted.
const DELETE_IRRELEVANT = new Set(["Status", "SendAt", "BatchId"]);

export async function onDelete(id: string, logicalResourceId: string, props: RawProperties, ctx: OperationContext): Promise<Outcome> {
  // Ids we never returned for a real batch: answer SUCCESS without reading a key or calling SendGrid.
  if (id === MARKER_ID) return { status: "SUCCESS", physicalResourceId: id, action: "skipped (failed-Create marker)" };
  if (!isBatchId(id)) return { status: "SUCCESS", physicalResourceId: id, action: "skipped (not a batch id)" };
  if (looksGeneratedByCloudFormation(id, logicalResourceId))
    return { status: "SUCCESS", physicalResourceId: id, action: "skipped (id generated by CloudFormation)" };

  const parsed = parseProperties(props, { now: Math.floor(ctx.now() / 1000), forDelete: true });
  const failures = parsed.failures.filter((f) => !DELETE_IRRELEVANT.has(f.property));
  if (failures.length || !parsed.keySource) {
    return invalid(
      id,
      `Cannot cancel batch ${id}: ${describeFailures(failures)}. Fix the properties, or delete the stack retaining this resource`,
    );
  }
  try {
    const client = await connect(parsed.spec, parsed.keySource, ctx);
    // Act on the status the template last declared (one call for an active or paused batch); if
    // SendGrid disagrees (drift, or a Create whose pause failed), the core re-reads and re-plans.
    // The declared SendAt tells a refusal near send_at apart (SendGrid documents no message for it).
    const result = await cancelBatch(client, id, parsed.spec.status, { sendAt: parsed.spec.sendAt, now: Math.floor(ctx.now() / 1000) });
    return { status: "SUCCESS", physicalResourceId: id, action: result };
  } catch (err) {
    if (err instanceof SendGridError && err.code === "TOO_LATE") {
      // SendGrid refuses cancel within 10 minutes of send_at: nothing we do changes the batch's
      // fate any more, and a failed Delete would only wedge the stack (three tries, then orphaned anyway).
      return { status: "SUCCESS", physicalResourceId: id, action: "too-late", warning: err.message };
    }
    return { status: "FAILED", physicalResourceId: id, reason: explain(err, parsed.keySource), action: "delete-failed" };
  }
}
