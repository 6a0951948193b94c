// Create / Update / Delete of Custom::SendGridScheduledBatch: CloudFormation's shapes around the
// core's lifecycle (core/lifecycle.ts: provision, converge, retire). Each returns an Outcome (what
// to answer CloudFormation); the handler owns sending it.
//
// Physical id = batch id. A failed Create answers with MARKER_ID, which its rollback Delete then
// recognises and skips (the CDK provider framework's rule; crhelper's random ids make that Delete
// act on garbage, custom-resource-helper#7).

import {
  MustRecordError,
  SendGridError,
  converge,
  convergeIfKnown,
  isBatchId,
  nowSeconds,
  provision,
  retire,
  type BatchSpec,
  type BatchStatus,
} from "../core";
import { CFN_ATTRIBUTES, CFN_NAME, RESOURCE_PROPERTIES } from "../core/properties";
import { connect, type ConnectContext } from "./connect";
import { describeFailures, parseProperties, parseUpdate, type RawProperties } from "./properties";
import type { ApiKeySource } from "../core/keySource";
import { explain } from "./reasons";
import { StackRecordError, heldElsewhere, refuseHeldBatch } from "./stackRecord";

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

export interface OperationContext extends ConnectContext {
  /** Set as soon as a Create has minted a batch id, so even a deadline answer can name it. */
  created?: string;
}

/** What an operation reads of an event; each string "" when the event lacks it. */
export interface OperationRequest {
  requestType: string;
  stackId: string;
  physicalResourceId: string;
  logicalResourceId: string;
  /** The event's ResourceType (`Custom::…`, as the template names it). */
  resourceType: string;
  props: RawProperties;
  oldProps: RawProperties;
}

/**
 * The physical-id rule for an answer the operation did not make (it threw, the deadline passed, the
 * RequestType is unknown): a Create names the batch it minted, so CloudFormation's rollback Delete
 * cancels it, else MARKER_ID; any other event keeps the id it came with.
 */
export function defaultPhysicalResourceId(requestType: string, physicalResourceId: string, minted: string | undefined): string {
  return requestType === "Create" ? (minted ?? MARKER_ID) : physicalResourceId || MARKER_ID;
}

export async function onEvent(req: OperationRequest, ctx: OperationContext): Promise<Outcome> {
  switch (req.requestType) {
    case "Create":
      return onCreate(req.props, ctx, req);
    case "Update":
      return onUpdate(req.physicalResourceId, req.props, req.oldProps, ctx, req);
    case "Delete":
      return onDelete(req.physicalResourceId, req, req.props, ctx);
    default:
      return {
        status: "FAILED",
        physicalResourceId: defaultPhysicalResourceId(req.requestType, req.physicalResourceId, undefined),
        reason: `Unknown RequestType ${JSON.stringify(req.requestType.slice(0, 40))}; expected Create, Update or Delete`,
        action: "malformed-event",
      };
  }
}

function success(batchId: string, status: BatchStatus, action: string): Outcome {
  return { status: "SUCCESS", physicalResourceId: batchId, data: attributes(batchId, status), action };
}

/** The resource's attributes (`Fn::GetAtt`): the batch id and the status SendGrid holds. */
function attributes(batchId: string, status: BatchStatus): Record<string, string> {
  return { [CFN_ATTRIBUTES.batchId]: batchId, [CFN_ATTRIBUTES.status]: status };
}

function invalid(physicalResourceId: string, reason: string): Outcome {
  return { status: "FAILED", physicalResourceId, reason, action: "invalid-properties" };
}

/** Which resource of which stack an event is for. */
export type StackResourceRef = Pick<OperationRequest, "stackId" | "logicalResourceId" | "resourceType">;

/** The log line's action of a create or adoption that failed: a refused adoption says so. */
function failedAction(err: unknown, otherwise: string): string {
  if (err instanceof StackRecordError || (err instanceof SendGridError && err.code === "BATCH_HELD")) return "adopt-refused";
  return otherwise;
}

/**
 * Create or adopt the batch `spec` declares (the core's provision) and answer SUCCESS with its id;
 * used by Create and by a replacing Update. Each names the action (`action(adopted)`) and answers a
 * batch that was minted but left in the wrong status (MustRecordError) its own way (`partial`);
 * other errors are thrown.
 */
async function provisionBatch(
  spec: BatchSpec,
  keySource: ApiKeySource,
  ctx: OperationContext,
  resource: StackResourceRef,
  action: (adopted: boolean) => string,
  partial: (err: MustRecordError) => Omit<Outcome, "status">,
): Promise<Outcome> {
  try {
    // A BatchId another logical resource of this stack holds is refused before any key read or
    // SendGrid call (CloudFormation's record stands in for the journal the handler does not keep).
    if (spec.batchId !== undefined) await refuseHeldBatch(resource, spec.batchId, { signal: ctx.signal });
    const client = await connect(spec, keySource, ctx);
    const made = await provision(client, spec, undefined, { onMinted: (id) => (ctx.created = id) });
    return success(made.batchId, made.status, action(made.adopted));
  } catch (err) {
    if (err instanceof MustRecordError) return { status: "FAILED", ...partial(err) };
    throw err;
  }
}

export async function onCreate(props: RawProperties, ctx: OperationContext, resource: StackResourceRef): Promise<Outcome> {
  const parsed = parseProperties(props, { now: nowSeconds(ctx.now) });
  if (parsed.failures.length || !parsed.keySource) return invalid(MARKER_ID, describeFailures(parsed.failures));
  const keySource = parsed.keySource;
  try {
    return await provisionBatch(
      parsed.spec,
      keySource,
      ctx,
      resource,
      (adopted) => (adopted ? "adopted" : "created"),
      // The batch exists but is not in the asked-for status. Answering FAILED *with its id* makes
      // CloudFormation's rollback send Delete for that id, which cancels it: nothing is orphaned.
      (err) => ({
        physicalResourceId: err.batchId,
        reason: `${explain(err, keySource)} (batch ${err.batchId} was created; the stack rollback cancels it)`,
        action: "partially-created",
      }),
    );
  } catch (err) {
    return { status: "FAILED", physicalResourceId: MARKER_ID, reason: explain(err, keySource), action: failedAction(err, "create-failed") };
  }
}

export async function onUpdate(
  id: string,
  props: RawProperties,
  oldProps: RawProperties,
  ctx: OperationContext,
  resource: StackResourceRef,
): Promise<Outcome> {
  const parsed = parseUpdate(id, props, oldProps, { now: nowSeconds(ctx.now) });
  if (parsed.failures.length || !parsed.keySource) return invalid(id, describeFailures(parsed.failures));
  const { spec, keySource, changed } = parsed;

  // Only our own properties count: a change of ServiceTimeout (or ServiceToken's casing) alone
  // still arrives as an Update, and must keep the id and make no call.
  if (changed.replaces.length === 0 && changed.updates.length === 0) {
    return { status: "SUCCESS", physicalResourceId: id, data: attributes(id, spec.status), action: "no-op" };
  }

  const adoptOther = changed.replaces.includes(CFN_NAME.batchId);
  const identityChanged = changed.replaces.some((k) => k !== CFN_NAME.batchId);
  try {
    if (adoptOther || identityChanged) {
      // A batch belongs to one account on one host: another Region/OnBehalfOf/ApiUrl (or another
      // BatchId to adopt) is another batch. Returning a new id makes CloudFormation Delete (cancel)
      // the old one after the stack update succeeds.
      if (!adoptOther) {
        // A rollback Update swaps the property maps but keeps the original id: when the current id
        // already belongs to the new account, this is that rollback, and the update is in place.
        const status = await convergeIfKnown(await connect(spec, keySource, ctx), id, spec.status);
        if (status !== undefined) return success(id, status, "in-place (id belongs to the new account)");
      }
      return await provisionBatch(
        spec,
        keySource,
        ctx,
        resource,
        (adopted) => (adopted ? "replaced (adopted)" : "replaced"),
        // A failed Update keeps the old id; the new, still-active batch has no mail and sends
        // nothing, but name it so an operator can cancel it.
        (err) => ({
          physicalResourceId: id,
          reason: `${explain(err, keySource)} (replacement batch ${err.batchId} was created and left unused)`,
          action: "replace-failed",
        }),
      );
    }
    const status = await converge(await connect(spec, keySource, ctx), id, spec.status, parsed.previousStatus);
    return success(id, status, `updated (${changed.updates.join(", ")})`);
  } catch (err) {
    return { status: "FAILED", physicalResourceId: id, reason: explain(err, keySource), action: failedAction(err, "update-failed") };
  }
}

/** True for ids CloudFormation invents itself (`<stack>-<LogicalId>-<RANDOM>`), never SendGrid's. */
export function looksGeneratedByCloudFormation(id: string, logicalResourceId: string): boolean {
  return logicalResourceId !== "" && (id.startsWith(`${logicalResourceId}-`) || id.includes(`-${logicalResourceId}-`));
}

// On Delete only the connection matters; problems of the batch's own properties (Status, SendAt,
// BatchId: an older property shape, a send time now past) must not keep a stack from being deleted.
const DELETE_IRRELEVANT: ReadonlySet<string> = new Set(RESOURCE_PROPERTIES.map((name) => CFN_NAME[name]));

export async function onDelete(id: string, resource: StackResourceRef, props: RawProperties, ctx: OperationContext): Promise<Outcome> {
  const { logicalResourceId } = resource;
  // Ids we never returned for a real batch: answer SUCCESS without reading a key or calling SendGrid.
  if (id === MARKER_ID) return { status: "SUCCESS", physicalResourceId: id, action: "skipped (failed-Create marker)" };
  if (!isBatchId(id)) return { status: "SUCCESS", physicalResourceId: id, action: "skipped (not a batch id)" };
  if (looksGeneratedByCloudFormation(id, logicalResourceId))
    return { status: "SUCCESS", physicalResourceId: id, action: "skipped (id generated by CloudFormation)" };

  const parsed = parseProperties(props, { now: nowSeconds(ctx.now), forDelete: true });
  const failures = parsed.failures.filter((f) => !DELETE_IRRELEVANT.has(f.property));
  if (failures.length || !parsed.keySource) {
    return invalid(
      id,
      `Cannot cancel batch ${id}: ${describeFailures(failures)}. Fix the properties, or delete the stack retaining this resource`,
    );
  }
  // A batch another logical resource of this stack now holds (it moved there in this update: this
  // resource took another id, that one adopted this id) is that resource's: CloudFormation forgets
  // only this resource, and the batch keeps the status its holder declares. Read before any key or
  // SendGrid call; a read that fails answers FAILED and cancels nothing (lambda/stackRecord.ts):
  // cancelling blind could discard mail the holder declares held, and SUCCESS would have
  // CloudFormation forget a batch nobody cancelled.
  let holder: Awaited<ReturnType<typeof heldElsewhere>>;
  try {
    holder = await heldElsewhere(resource.stackId, logicalResourceId, id, { signal: ctx.signal });
  } catch (err) {
    return { status: "FAILED", physicalResourceId: id, reason: explain(err), action: "delete-refused (stack not readable)" };
  }
  if (holder !== undefined)
    return {
      status: "SUCCESS",
      physicalResourceId: id,
      action: `kept (held by ${holder.logicalResourceId} of this stack; not cancelled)`,
    };
  try {
    const client = await connect(parsed.spec, parsed.keySource, ctx);
    // Act on the status the template last declared (one call for an active or paused batch); if
    // SendGrid disagrees (drift, or a Create whose pause failed), the core re-reads and re-plans.
    // The declared SendAt tells a refusal near send_at apart (SendGrid documents no message for it).
    const result = await retire(client, id, parsed.spec, { now: ctx.now });
    return { status: "SUCCESS", physicalResourceId: id, action: result };
  } catch (err) {
    // A cancel refused within 10 minutes of the declared SendAt is FAILED like any other refusal
    // (explain words it: retry after the send time, or retain the resource). The refusal is about
    // the batch's earliest message; mail it carries for later could still be cancelled, and a
    // SUCCESS would make CloudFormation forget a batch SendGrid holds as it was.
    // A full quota is never "too late" (core/batches.ts tooLate), however stale the declared SendAt:
    // the cancel waited for a slot like any other and failed, and the batch keeps its status.
    const quota =
      err instanceof SendGridError && err.code === "QUOTA_EXCEEDED"
        ? ` (batch ${id} is not cancelled and keeps its status: an active batch's mail goes out at its send time. Free a slot, then retry the stack operation, or give the wait more time with SENDGRID_QUOTA_WAIT_SECONDS in the function's environment)`
        : "";
    const late = err instanceof SendGridError && err.code === "TOO_LATE";
    return {
      status: "FAILED",
      physicalResourceId: id,
      reason: `${explain(err, parsed.keySource)}${quota}`,
      action: late ? "delete-failed (too late)" : "delete-failed",
    };
  }
}
