// The CloudFormation custom resource handler: one safe wrapper that answers every event exactly
// once. Whatever happens — bad properties, a missing secret, SendGrid down, a thrown bug, the
// function's deadline — CloudFormation gets SUCCESS or FAILED with a reason, instead of waiting
// for ServiceTimeout (an hour by default, twice on rollback: aws/aws-cdk#2126).
//
// async only: the nodejs24.x runtime dropped callback handlers and context.done/succeed/fail.

import type { CloudFormationCustomResourceEvent, Context } from "aws-lambda";
import { isLoopbackHost, isRecord } from "../core";
import { Deadline, budgetFor } from "./deadline";
import { MARKER_ID, onCreate, onDelete, onUpdate, type OperationContext, type Outcome } from "./operations";
import { EventLog, redactProperties, redactUrl } from "./log";
import type { RawProperties } from "./properties";
import { explain } from "./reasons";
import { serializeBody, sendResponse, type ResponseBody, type SendOptions } from "./respond";

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

// Answers already given by this warm container, by StackId + RequestId. Lambda can deliver an
// asynchronous event more than once; repeating the recorded answer keeps a duplicate Create from
// minting a second batch. Bounded, oldest first out.
const answered = new Map<string, string>();
const MAX_REMEMBERED = 200;
let coldStart = true;

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function makeHandler(opts: HandlerOptions = {}): (event: CustomResourceEvent, context: LambdaContext) => Promise<void> {
  const now = opts.now ?? Date.now;
  return async (rawEvent, context) => {
    const started = now();
    const event: Record<string, unknown> = isRecord(rawEvent) ? (rawEvent as unknown as Record<string, unknown>) : {};
    const requestType = str(event.RequestType);
    const props: RawProperties = isRecord(event.ResourceProperties) ? event.ResourceProperties : {};
    const oldProps: RawProperties = isRecord(event.OldResourceProperties) ? event.OldResourceProperties : {};
    const log = new EventLog(
      {
        requestType: requestType || null,
        requestId: str(event.RequestId) || null,
        stackId: str(event.StackId) || null,
        logicalResourceId: str(event.LogicalResourceId) || null,
        physicalResourceIdIn: str(event.PhysicalResourceId) || null,
        responseUrl: redactUrl(event.ResponseURL) ?? null,
        properties: redactProperties(event.ResourceProperties) ?? null,
        ...(requestType === "Update" ? { oldProperties: redactProperties(event.OldResourceProperties) ?? null } : {}),
        coldStart,
        awsRequestId: context?.awsRequestId,
      },
      opts.sink,
    );
    coldStart = false;

    const responseUrl = str(event.ResponseURL);
    if (!responseUrl) {
      // Nobody to answer: this is not a CloudFormation event (a test invoke, a wrong trigger).
      log.set({
        outcome: { action: "ignored", reason: "event has no ResponseURL; not a CloudFormation custom resource request" },
        durationMs: now() - started,
      });
      log.write("error");
      return;
    }
    const urlProblem = responseUrlProblem(responseUrl);
    if (urlProblem) {
      // Checked before any work: a batch made or changed for an answer that cannot be delivered
      // is one CloudFormation never hears of (it times out and rolls back without the new id).
      log.set({ outcome: { action: "ignored", reason: `${urlProblem}; not answering and doing nothing` }, durationMs: now() - started });
      log.write("error");
      return;
    }

    const remaining = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 30_000;
    const budget = budgetFor(remaining, started);
    const memoKey = `${str(event.StackId)}\n${str(event.RequestId)}`;
    let bodyText = answered.get(memoKey);
    let level: "info" | "warn" | "error" = "info";

    if (bodyText !== undefined) {
      log.set({ outcome: { action: "duplicate (answer repeated, no SendGrid call)" } });
      level = "warn";
    } else {
      const deadline = new Deadline(budget, started);
      const calls: string[] = [];
      const ctx: OperationContext = { now, signal: deadline.signal, calls, onKey: (key) => log.forbid(key) };
      const physicalIn = str(event.PhysicalResourceId);
      const work = perform(requestType, physicalIn, str(event.LogicalResourceId), props, oldProps, ctx).catch(
        (err: unknown): Outcome => ({
          status: "FAILED",
          physicalResourceId: requestType === "Create" ? (ctx.created ?? MARKER_ID) : physicalIn || MARKER_ID,
          reason: `${explain(err)}${context?.logStreamName ? ` (log stream ${context.logStreamName})` : ""}`,
          action: "threw",
        }),
      );
      const timedOut = deadline.expired.then(
        (): Outcome => ({
          status: "FAILED",
          // A Create cut short after minting its batch answers with that id, so CloudFormation's
          // rollback Delete cancels it instead of leaving it behind.
          physicalResourceId: requestType === "Create" ? (ctx.created ?? MARKER_ID) : physicalIn || MARKER_ID,
          reason: timeoutReason(requestType, budget.workEndsAt - started, remaining, calls),
          action: "deadline",
        }),
      );
      // Exactly one of the two settles the answer. Work still running after the deadline is left
      // to finish (its result is dropped); the timer is cleared so it cannot fire into the next event.
      const outcome = await Promise.race([work, timedOut]);
      deadline.clear();

      // SendGrid's error texts reach the Reason, and a server or proxy may echo the Authorization
      // header in them. The core's client already redacts its errors (core/redact.ts); the Reason
      // and body go through the same redaction once more, as the log line does, for any other text.
      const body: ResponseBody = {
        Status: outcome.status,
        ...(outcome.status === "FAILED" ? { Reason: log.scrub(outcome.reason ?? "failed") } : {}),
        PhysicalResourceId: outcome.physicalResourceId,
        StackId: str(event.StackId),
        RequestId: str(event.RequestId),
        LogicalResourceId: str(event.LogicalResourceId),
        ...(outcome.data ? { Data: outcome.data } : {}),
      };
      bodyText = log.scrub(serializeBody(body));
      remember(memoKey, bodyText);
      level = outcome.status === "FAILED" ? "error" : outcome.warning ? "warn" : "info";
      log.set({
        outcome: {
          status: outcome.status,
          action: outcome.action,
          physicalResourceId: outcome.physicalResourceId,
          reason: outcome.reason,
          warning: outcome.warning,
          data: outcome.data,
        },
        sendgridCalls: calls,
      });
    }

    // sendResponse reports failures as a value; the catch only makes sure nothing escapes the handler.
    const sent = await sendResponse(responseUrl, bodyText, { ...opts.send, respondBy: budget.respondBy, now }).catch((err: unknown) => ({
      ok: false,
      attempts: 0,
      outcomes: [`could not send: ${err instanceof Error ? err.name : "error"}`],
    }));
    log.set({
      response: { ok: sent.ok, attempts: sent.attempts, outcomes: sent.outcomes, bytes: Buffer.byteLength(bodyText) },
      durationMs: now() - started,
    });
    log.write(sent.ok ? level : "error");
  };
}

/**
 * Why the ResponseURL cannot receive our answer, or undefined. CloudFormation's is a pre-signed
 * https S3 URL; http is accepted for loopback only (local tests). The URL itself is never echoed:
 * its query string is a write capability.
 */
export function responseUrlProblem(responseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return "ResponseURL is not a URL";
  }
  if (url.protocol === "https:" && url.hostname) return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return `ResponseURL must be https (http only to a loopback host), got a ${url.protocol} URL${url.hostname ? ` to ${url.hostname}` : ""}`;
}

async function perform(
  requestType: string,
  physicalId: string,
  logicalId: string,
  props: RawProperties,
  oldProps: RawProperties,
  ctx: OperationContext,
): Promise<Outcome> {
  switch (requestType) {
    case "Create":
      return onCreate(props, ctx);
    case "Update":
      return onUpdate(physicalId, props, oldProps, ctx);
    case "Delete":
      return onDelete(physicalId, logicalId, props, ctx);
    default:
      return {
        status: "FAILED",
        physicalResourceId: physicalId || MARKER_ID,
        reason: `Unknown RequestType ${JSON.stringify(requestType.slice(0, 40))}; expected Create, Update or Delete`,
        action: "malformed-event",
      };
  }
}

function timeoutReason(requestType: string, workMs: number, remainingMs: number, calls: string[]): string {
  const last = calls.length ? `; last SendGrid answer: ${calls[calls.length - 1]}` : "; no SendGrid answer yet";
  const orphan = requestType === "Create" ? " If a batch was created meanwhile it stays unused and sends nothing." : "";
  return (
    `Timed out: the ${requestType || "request"} did not finish within ${(workMs / 1000).toFixed(1)} s ` +
    `(the function had ${(remainingMs / 1000).toFixed(1)} s left; the rest is kept for answering CloudFormation)${last}.` +
    `${orphan} Retry the stack operation; if it keeps happening, check SendGrid's status and raise the function's Timeout.`
  );
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
