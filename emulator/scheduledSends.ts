// The Mail Batch and Cancel Scheduled Sends operations, with SendGrid's status codes and strings.

import { SENDGRID_LIMITS, SENDGRID_MESSAGES, type ScheduledSendStatus, type WireStatus } from "../core/wire";
import { empty, isRecord, json, sendgridError, type ParsedBody, type Reply } from "./http";
import { EMULATOR_MESSAGES } from "./messages";
import type { EmulatorState, Scope } from "./state";
import type { CannedReply, EmulatorConfig, UndocumentedCase } from "./types";

export interface OperationContext {
  scope: Scope;
  batchId: string | null;
  body: ParsedBody;
  state: EmulatorState;
  config: EmulatorConfig;
}

const isWireStatus = (v: unknown): v is WireStatus => v === "pause" || v === "cancel";

/** SendGrid's batch-id pattern (`^[a-zA-Z0-9\-\_]`, applied here to every character, as its ids are). */
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function canned(reply: CannedReply): Reply {
  return reply.body === undefined ? empty(reply.status) : json(reply.status, reply.body);
}

/** The configured answer to an undocumented case, if any (EmulatorConfig.undocumented). */
function undocumented(config: EmulatorConfig, which: UndocumentedCase): Reply | null {
  const reply = config.undocumented[which];
  return reply ? canned(reply) : null;
}

/** A configured answer for a malformed id on this route; null when the id is well formed or none is set. */
function malformed(config: EmulatorConfig, id: string, route: "validate" | "read" | "create" | "update" | "delete"): Reply | null {
  return WELL_FORMED_ID.test(id) ? null : undocumented(config, `malformedId.${route}`);
}

/** POST /v3/mail/batch → 201 {batch_id}. */
export function createBatch({ scope, state }: OperationContext): Reply {
  return json(201, { batch_id: state.createBatch(scope) });
}

/** GET /v3/mail/batch/{batch_id} → 200 {batch_id}, or 400 "invalid batch id" (field null, as the 2015–2018 docs show). */
export function validateBatch({ scope, batchId, state, config }: OperationContext): Reply {
  const id = batchId ?? "";
  const bad = malformed(config, id, "validate");
  if (bad) return bad;
  return state.hasBatch(scope, id) ? json(200, { batch_id: id }) : sendgridError(400, SENDGRID_MESSAGES.invalidBatchId);
}

/** GET /v3/user/scheduled_sends → 200, only the batches that carry a status. */
export function listStatuses({ scope, state }: OperationContext): Reply {
  const list: ScheduledSendStatus[] = state.listStatuses(scope);
  return json(200, list);
}

/** GET /v3/user/scheduled_sends/{batch_id} → 200 [ {batch_id,status} ]; no status → [] or 404 (both seen in the field). */
export function readStatus({ scope, batchId, state, config }: OperationContext): Reply {
  const id = batchId ?? "";
  const bad = malformed(config, id, "read");
  if (bad) return bad;
  const status = state.getStatus(scope, id);
  if (status !== null) return json(200, [{ batch_id: id, status }] satisfies ScheduledSendStatus[]);
  return config.singleReadWithoutStatus === "404" ? sendgridError(404, SENDGRID_MESSAGES.batchIdNotFound) : json(200, []);
}

type BodyCheck<T> = { ok: true; value: T } | { ok: false; reply: Reply };

function statusFrom(body: Record<string, unknown>): BodyCheck<WireStatus> {
  if (body.status === undefined) return { ok: false, reply: sendgridError(400, EMULATOR_MESSAGES.statusRequired, "status") };
  if (!isWireStatus(body.status)) return { ok: false, reply: sendgridError(400, EMULATOR_MESSAGES.statusInvalid, "status") };
  return { ok: true, value: body.status };
}

function objectBody(body: ParsedBody): BodyCheck<Record<string, unknown>> {
  if (body.kind === "json" && isRecord(body.value)) return { ok: true, value: body.value };
  return { ok: false, reply: sendgridError(400, EMULATOR_MESSAGES.invalidJson) };
}

/**
 * The 10-minute rule: SendGrid refuses a pause or cancel "later than 10 minutes before" send_at, so
 * exactly 600 s before is still allowed (the core's preview check agrees to the second). The
 * reference is the earliest send_at still ahead among the batch's queued messages; held (paused,
 * overdue) messages are not ahead, so switching a paused batch to cancel stays possible.
 */
function tooLate(ctx: OperationContext, id: string): Reply | null {
  if (ctx.config.lateChange === "accept") return null;
  const earliest = ctx.state.earliestPendingSendAt(id);
  if (earliest === null || earliest - ctx.state.clock.now() >= SENDGRID_LIMITS.cutoffSeconds) return null;
  return undocumented(ctx.config, "lateChange") ?? sendgridError(400, EMULATOR_MESSAGES.tooLate, "batch_id");
}

/** POST /v3/user/scheduled_sends {batch_id,status} → 201 echo. */
export function createStatus(ctx: OperationContext): Reply {
  const body = objectBody(ctx.body);
  if (!body.ok) return body.reply;
  const { batch_id: id } = body.value;
  if (id === undefined) return sendgridError(400, EMULATOR_MESSAGES.batchIdRequired, "batch_id");
  if (typeof id !== "string") return sendgridError(400, EMULATOR_MESSAGES.batchIdNotString, "batch_id");
  const status = statusFrom(body.value);
  if (!status.ok) return status.reply;

  const { scope, state, config } = ctx;
  const bad = malformed(config, id, "create");
  if (bad) return bad;
  if (!state.hasBatch(scope, id)) return sendgridError(400, SENDGRID_MESSAGES.invalidBatchId, "batch_id");
  if (state.getStatus(scope, id) !== null) return sendgridError(400, SENDGRID_MESSAGES.statusExists, "batch_id");
  // Cancelled batches keep their slot after send_at until DELETEd, so the count is of all statuses.
  if (state.countStatuses(scope) >= config.maxPausedOrCancelled) return sendgridError(400, SENDGRID_MESSAGES.maxLimitReached);
  const late = tooLate(ctx, id);
  if (late) return late;
  state.setStatus(scope, id, status.value);
  return json(201, { batch_id: id, status: status.value } satisfies ScheduledSendStatus);
}

/** PATCH /v3/user/scheduled_sends/{batch_id} {status} → 204; no status yet → 404 "batch id not found". */
export function updateStatus(ctx: OperationContext): Reply {
  const body = objectBody(ctx.body);
  if (!body.ok) return body.reply;
  const status = statusFrom(body.value);
  if (!status.ok) return status.reply;
  const { scope, state, config } = ctx;
  const id = ctx.batchId ?? "";
  const bad = malformed(config, id, "update");
  if (bad) return bad;
  const current = state.getStatus(scope, id);
  if (current === null) return sendgridError(404, SENDGRID_MESSAGES.batchIdNotFound);
  // Undocumented: PATCH to the same status. The emulator's guess: 204 and nothing changes.
  if (current === status.value) return undocumented(config, "samePatch") ?? empty(204);
  const late = tooLate(ctx, id);
  if (late) return late;
  state.setStatus(scope, id, status.value);
  return empty(204);
}

/** DELETE /v3/user/scheduled_sends/{batch_id} → 204 (resume; overdue paused mail goes out now); none → 404. */
export function deleteStatus({ scope, batchId, state, config }: OperationContext): Reply {
  const id = batchId ?? "";
  const bad = malformed(config, id, "delete");
  if (bad) return bad;
  if (state.getStatus(scope, id) === null) return sendgridError(404, SENDGRID_MESSAGES.batchIdNotFound);
  state.setStatus(scope, id, null);
  return empty(204);
}
