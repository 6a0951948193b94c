// The CloudFormation custom resource handler: one safe wrapper that answers every event exactly
// once. Whatever happens — bad properties, a missing secret, SendGrid down, a thrown bug, the
// function's deadline — CloudFormation gets SUCCESS or FAILED with a reason, instead of waiting
// for ServiceTimeout (an hour by default, twice on rollback: aws/aws-cdk#2126). The steps, as the
// CDK provider framework names its own: read the event, check where the answer goes, run the
// operation against the deadline (onEvent), make the answer (createResponseBody), deliver it.
//
// async only: the nodejs24.x runtime dropped callback handlers and context.done/succeed/fail.

import type { CloudFormationCustomResourceEvent, Context } from "aws-lambda";
import { isRecord } from "../core";
import { Deadline, budgetFor, type Budget } from "./deadline";
import { EventLog, redactProperties, redactUrl } from "./log";
import { defaultPhysicalResourceId, onEvent, type OperationContext, type OperationRequest, type Outcome } from "./operations";
import type { RawProperties } from "./properties";
import { explain, timeoutReason } from "./reasons";
import { responseTarget, sendResponse, serializeBody, type ResponseBody, type SendOptions } from "./respond";

export type CustomResourceEvent = CloudFormationCustomResourceEvent<RawProperties>;
/** What the handler uses of the Lambda context (tests pass a fake with these). */
export type LambdaContext = Pick<Context, "getRemainingTimeInMillis"> & Partial<Pick<Context, "logStreamName" | "awsRequestId">>;

export interface HandlerOptions {
  /** Where the log line goes (default console.log → CloudWatch). */
  sink?: (line: string) => void;
  now?: () => number;
  /** Response PUT tuning (tests). */
  send?: Partial<Omit<SendOptions, "respondBy">>;
}

/** The event as the steps read it: each string "" when absent, whatever arrived. */
interface EventFields extends OperationRequest {
  requestId: string;
  responseUrl: string;
  raw: Record<string, unknown>;
}

/** One invocation's clock: when it started, the time the function had, and how it is shared. */
interface Invocation {
  started: number;
  remaining: number;
  budget: Budget;
  now: () => number;
}

/** The answer to send, and the level of the event's log line. */
interface Answer {
  bodyText: string;
  level: "info" | "warn" | "error";
}

// Answers already given by this warm container, by StackId + RequestId. Lambda can deliver an
// asynchronous event more than once; repeating the recorded answer keeps a duplicate Create from
// minting a second batch. Bounded, oldest first out.
const answered = new Map<string, string>();
const MAX_REMEMBERED = 200;
let coldStart = true;

export function makeHandler(opts: HandlerOptions = {}): (event: CustomResourceEvent, context: LambdaContext) => Promise<void> {
  const now = opts.now ?? Date.now;
  return (event, context) => safeHandler(event, context, opts, now);
}

/** One event, answered exactly once (or, with nowhere to answer, only logged). */
async function safeHandler(rawEvent: unknown, context: LambdaContext | undefined, opts: HandlerOptions, now: () => number): Promise<void> {
  const started = now();
  const event = readEvent(rawEvent);
  const log = openLog(event, context, opts.sink);
  const problem = unanswerable(event.responseUrl);
  if (problem) {
    log.set({ outcome: { action: "ignored", reason: problem }, durationMs: now() - started });
    log.write("error");
    return;
  }
  const remaining = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 30_000;
  const run: Invocation = { started, remaining, budget: budgetFor(remaining, started), now };
  const memoKey = `${event.stackId}\n${event.requestId}`;
  const recorded = answered.get(memoKey);
  let answer: Answer;
  if (recorded === undefined) {
    answer = await answerEvent(event, context, log, run);
    remember(memoKey, answer.bodyText);
  } else {
    log.set({ outcome: { action: "duplicate (answer repeated, no SendGrid call)" } });
    answer = { bodyText: recorded, level: "warn" };
  }
  await deliver(event.responseUrl, answer, log, run, opts.send);
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function readEvent(rawEvent: unknown): EventFields {
  const raw: Record<string, unknown> = isRecord(rawEvent) ? rawEvent : {};
  return {
    requestType: str(raw.RequestType),
    requestId: str(raw.RequestId),
    stackId: str(raw.StackId),
    logicalResourceId: str(raw.LogicalResourceId),
    resourceType: str(raw.ResourceType),
    physicalResourceId: str(raw.PhysicalResourceId),
    responseUrl: str(raw.ResponseURL),
    props: isRecord(raw.ResourceProperties) ? raw.ResourceProperties : {},
    oldProps: isRecord(raw.OldResourceProperties) ? raw.OldResourceProperties : {},
    raw,
  };
}

/** The event's log line, with what identifies the event (never the ResponseURL's signature). */
function openLog(event: EventFields, context: LambdaContext | undefined, sink: HandlerOptions["sink"]): EventLog {
  const log = new EventLog(
    {
      requestType: event.requestType || null,
      requestId: event.requestId || null,
      stackId: event.stackId || null,
      logicalResourceId: event.logicalResourceId || null,
      physicalResourceIdIn: event.physicalResourceId || null,
      responseUrl: redactUrl(event.raw.ResponseURL) ?? null,
      properties: redactProperties(event.raw.ResourceProperties) ?? null,
      ...(event.requestType === "Update" ? { oldProperties: redactProperties(event.raw.OldResourceProperties) ?? null } : {}),
      coldStart,
      awsRequestId: context?.awsRequestId,
    },
    sink,
  );
  coldStart = false;
  return log;
}

/** Why nobody can be answered, or undefined; checked before any work. */
function unanswerable(responseUrl: string): string | undefined {
  // Nobody to answer: this is not a CloudFormation event (a test invoke, a wrong trigger).
  if (!responseUrl) return "event has no ResponseURL; not a CloudFormation custom resource request";
  // A batch made or changed for an answer that cannot be delivered is one CloudFormation never
  // hears of (it times out and rolls back without the new id).
  const target = responseTarget(responseUrl);
  return "refused" in target ? `${target.reason}; not answering and doing nothing` : undefined;
}

/** Run the event's operation against the deadline, and make CloudFormation's answer of its outcome. */
async function answerEvent(event: EventFields, context: LambdaContext | undefined, log: EventLog, run: Invocation): Promise<Answer> {
  const deadline = new Deadline(run.budget, run.started);
  const ctx: OperationContext = {
    now: run.now,
    signal: deadline.signal,
    workEndsAt: run.budget.workEndsAt,
    calls: [],
    abandoned: [],
    onKey: (key) => log.forbid(key),
  };
  const fallbackId = () => defaultPhysicalResourceId(event.requestType, event.physicalResourceId, ctx.created);
  const work = onEvent(event, ctx).catch(
    (err: unknown): Outcome => ({
      status: "FAILED",
      physicalResourceId: fallbackId(),
      reason: `${explain(err)}${context?.logStreamName ? ` (log stream ${context.logStreamName})` : ""}`,
      action: "threw",
    }),
  );
  // Exactly one of the two settles the answer. At the deadline the event's signal is aborted first
  // (the AWS calls and every SendGrid request, retry and wait of the event's client honour it), and
  // the work is given a moment to unwind, so the answer can name a request abandoned in flight and
  // nothing the event started reaches SendGrid after its answer. Then the deadline is disarmed (and
  // its signal aborted, should anything of the event still be pending) before the next event.
  const first = await Promise.race([work, deadline.expired.then(() => undefined)]);
  let outcome: Outcome;
  if (first !== undefined) {
    outcome = first;
  } else {
    await settledWithin(work, Math.min(UNWIND_MS, Math.max(0, (run.budget.respondBy - run.now()) / 4)));
    outcome = {
      status: "FAILED",
      physicalResourceId: fallbackId(),
      reason: timeoutReason(event.requestType, run.budget.workEndsAt - run.started, run.remaining, ctx.calls, ctx.abandoned),
      action: "deadline",
    };
  }
  deadline.clear();

  const { status, action, physicalResourceId, reason, warning, data } = outcome;
  log.set({
    outcome: { status, action, physicalResourceId, reason, warning, data },
    sendgridCalls: ctx.calls,
    ...(ctx.abandoned.length ? { sendgridAbandoned: ctx.abandoned } : {}),
  });
  return { bodyText: createResponseBody(event, outcome, log), level: status === "FAILED" ? "error" : warning ? "warn" : "info" };
}

/**
 * How long aborted work may take to unwind before the deadline's answer is made (at most a quarter
 * of the time left to answer): everything it waits on honours the abort, so it takes milliseconds.
 */
const UNWIND_MS = 1000;

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    work.then(done, done);
  });
}

/**
 * The body CloudFormation reads. SendGrid's error texts reach the Reason, and a server or proxy may
 * echo the Authorization header in them. The core's client already redacts its errors
 * (core/redact.ts); the Reason and body go through the same redaction once more, as the log line
 * does, for any other text.
 */
function createResponseBody(event: EventFields, outcome: Outcome, log: EventLog): string {
  const body: ResponseBody = {
    Status: outcome.status,
    ...(outcome.status === "FAILED" ? { Reason: log.scrub(outcome.reason ?? "failed") } : {}),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.stackId,
    RequestId: event.requestId,
    LogicalResourceId: event.logicalResourceId,
    ...(outcome.data ? { Data: outcome.data } : {}),
  };
  return log.scrub(serializeBody(body));
}

/** PUT the answer and write the event's one log line, with how the PUT went. */
async function deliver(responseUrl: string, answer: Answer, log: EventLog, run: Invocation, send: HandlerOptions["send"]): Promise<void> {
  // sendResponse reports failures as a value; the catch only makes sure nothing escapes the handler.
  const sent = await sendResponse(responseUrl, answer.bodyText, { ...send, respondBy: run.budget.respondBy, now: run.now }).catch(
    (err: unknown) => ({
      ok: false,
      attempts: 0,
      outcomes: [`could not send: ${err instanceof Error ? err.name : "error"}`],
    }),
  );
  log.set({
    response: { ok: sent.ok, attempts: sent.attempts, outcomes: sent.outcomes, bytes: Buffer.byteLength(answer.bodyText) },
    durationMs: run.now() - run.started,
  });
  log.write(sent.ok ? answer.level : "error");
}

function remember(key: string, body: string): void {
  answered.set(key, body);
  if (answered.size > MAX_REMEMBERED) {
    const oldest = answered.keys().next().value;
    if (oldest !== undefined) answered.delete(oldest);
  }
}

/** The Lambda entry point (`index.handler`). */
export const handler = makeHandler();
