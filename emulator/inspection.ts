// The inspection API under /__emulator/: no auth, never rate-limited, faulted or logged.
//
//   GET    /__emulator/info       → { accounts, subusers, now, config }   (also GET /__emulator/)
//   GET    /__emulator/requests   → RequestLogEntry[]        DELETE → 204 (clear)
//   GET    /__emulator/batches    → BatchView[]
//   GET    /__emulator/messages   → MessageView[]            POST SeedMessageInput → 201 MessageView
//   GET    /__emulator/clock      → { now }                  POST { advanceSeconds } | { now } → { now }
//   POST   /__emulator/reset      → 204
//   GET    /__emulator/config     → EmulatorConfig           PUT Partial<EmulatorConfig> → EmulatorConfig

import { empty, isRecord, json, sendgridError, type ParsedBody, type Reply } from "./http";
import type { Runtime } from "./runtime";
import { parseConfigPatch } from "./config";
import type { ClockView, MessageView } from "./types";

export const INSPECTION_PREFIX = "/__emulator/";

type Handler = (rt: Runtime, body: ParsedBody) => Reply;

const bad = (message: string, field: string | null = null) => sendgridError(400, message, field);

function objectBody(body: ParsedBody): Record<string, unknown> | null {
  if (body.kind === "empty") return {};
  return body.kind === "json" && isRecord(body.value) ? body.value : null;
}

function seedMessage(rt: Runtime, body: ParsedBody): Reply {
  const input = objectBody(body);
  if (!input) return bad("body must be a JSON object");
  const account = input.account ?? rt.accounts.accountNames[0];
  if (typeof account !== "string" || !rt.accounts.accountNames.includes(account)) return bad("unknown account", "account");
  const onBehalfOf = input.onBehalfOf ?? null;
  if (onBehalfOf !== null && (typeof onBehalfOf !== "string" || !rt.accounts.isSubuser(onBehalfOf)))
    return bad("unknown subuser", "onBehalfOf");
  const scope = { account, onBehalfOf };
  const batchId = input.batch_id ?? null;
  if (batchId !== null && (typeof batchId !== "string" || !rt.state.hasBatch(scope, batchId)))
    return bad("no such batch in this account", "batch_id");
  if (!Number.isInteger(input.send_at)) return bad("send_at must be an integer (unix seconds)", "send_at");
  const to = input.to ?? [];
  if (!Array.isArray(to) || !to.every((t) => typeof t === "string")) return bad("to must be an array of strings", "to");
  const subject = input.subject ?? null;
  if (subject !== null && typeof subject !== "string") return bad("subject must be a string", "subject");
  const id = rt.state.addMessage(scope, { batchId, sendAt: input.send_at as number, to: to as string[], subject });
  const view = rt.state.messageViews().find((m) => m.id === id) as MessageView;
  return json(201, view);
}

function moveClock(rt: Runtime, body: ParsedBody): Reply {
  const input = objectBody(body);
  const advance = input?.advanceSeconds;
  const now = input?.now;
  if (!input || (advance === undefined) === (now === undefined)) return bad("give exactly one of advanceSeconds or now");
  if (advance !== undefined && (typeof advance !== "number" || !Number.isFinite(advance)))
    return bad("advanceSeconds must be a number", "advanceSeconds");
  if (now !== undefined && !Number.isInteger(now)) return bad("now must be an integer (unix seconds)", "now");
  if (advance !== undefined) rt.clock.advance(advance as number);
  else rt.clock.set(now as number);
  rt.state.settle();
  return json(200, { now: rt.clock.now() } satisfies ClockView);
}

function configure(rt: Runtime, body: ParsedBody): Reply {
  const parsed = parseConfigPatch(objectBody(body));
  if ("problems" in parsed) return json(400, { errors: parsed.problems.map((message) => ({ field: null, message })) });
  return json(200, rt.configure(parsed.patch));
}

const HANDLERS: Record<string, Partial<Record<string, Handler>>> = {
  info: {
    GET: (rt) =>
      json(200, { accounts: rt.accounts.accountNames, subusers: rt.accounts.subuserNames, now: rt.clock.now(), config: rt.config }),
  },
  requests: {
    GET: (rt) => json(200, rt.log.list()),
    DELETE: (rt) => {
      rt.log.clear();
      return empty(204);
    },
  },
  batches: { GET: (rt) => json(200, rt.state.batchViews()) },
  messages: { GET: (rt) => json(200, rt.state.messageViews()), POST: seedMessage },
  clock: { GET: (rt) => json(200, { now: rt.clock.now() } satisfies ClockView), POST: moveClock },
  reset: {
    POST: (rt) => {
      rt.reset();
      return empty(204);
    },
  },
  config: { GET: (rt) => json(200, rt.config), PUT: configure },
};

export function handleInspection(rt: Runtime, method: string, pathname: string, body: ParsedBody): Reply {
  const name = pathname.slice(INSPECTION_PREFIX.length).replace(/\/$/, "") || "info";
  const route = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (!route) return sendgridError(404, "not found");
  const handler = route[method];
  if (!handler) return sendgridError(405, "method not allowed");
  return handler(rt, body);
}
