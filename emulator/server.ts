// The HTTP server: routes /__emulator/ to the inspection API and /v3 through the SendGrid pipeline
// (auth → route → rate limit → fault → operation), and closes cleanly so test runners can exit.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { SENDGRID_MESSAGES } from "../core/wire";
import type { FaultDecision } from "./faults";
import { BodyTooLarge, parseJson, readBody, sendgridError, writeReply, type ParsedBody, type Reply } from "./http";
import { handleInspection, INSPECTION_PREFIX } from "./inspection";
import { sendMail } from "./mailSend";
import { EMULATOR_MESSAGES } from "./messages";
import { loggableHeaders } from "./requestLog";
import { matchRoute, type RouteId } from "./routes";
import type { Runtime } from "./runtime";
import * as ops from "./scheduledSends";
import type { RequestLogEntry } from "./types";

const OPERATIONS: Record<RouteId, Partial<Record<string, (ctx: ops.OperationContext) => Reply>>> = {
  "mail.batch": { POST: ops.createBatch },
  "mail.batch.one": { GET: ops.validateBatch },
  "mail.send": { POST: sendMail },
  scheduled_sends: { GET: ops.listStatuses, POST: ops.createStatus },
  "scheduled_sends.one": { GET: ops.readStatus, PATCH: ops.updateStatus, DELETE: ops.deleteStatus },
};

/** Default X-RateLimit-Limit shown on a fault-injected 429 when no rate limit is configured (SendGrid's common 600/min). */
const FAULT_429_LIMIT = 600;

interface Outcome {
  reply: Reply | "reset";
  account: string | null;
  onBehalfOf: string | null;
  route: string | null;
  fault: FaultDecision | null;
}

export class EmulatorServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  private closing = false;

  constructor(private readonly rt: Runtime) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const address = this.server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  /** Stops accepting, ends pending slow replies, and destroys keep-alive sockets. */
  close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.done();
    }
    this.timers.clear();
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => done(), ms), done: () => resolve() };
      const done = () => {
        this.timers.delete(entry);
        resolve();
      };
      this.timers.add(entry);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://emulator.local");
    let text = "";
    let tooLarge = false;
    try {
      text = await readBody(req);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      tooLarge = true;
    }
    const body = parseJson(text);

    if (url.pathname.startsWith(INSPECTION_PREFIX) || `${url.pathname}/` === INSPECTION_PREFIX) {
      writeReply(
        res,
        safely(() => handleInspection(this.rt, method, url.pathname, body)),
        this.rt.clock.now(),
      );
      return;
    }

    const seq = this.rt.log.nextSeq();
    const time = new Date().toISOString();
    const clock = this.rt.clock.now();
    const outcome: Outcome = tooLarge
      ? { reply: sendgridError(413, EMULATOR_MESSAGES.contentTooLarge), account: null, onBehalfOf: null, route: null, fault: null }
      : await this.api(req, method, url.pathname, body);

    const entry: RequestLogEntry = {
      seq,
      time,
      clock,
      method,
      path: url.pathname + url.search,
      route: outcome.route,
      status: outcome.reply === "reset" ? null : outcome.reply.status,
      account: outcome.account,
      onBehalfOf: outcome.onBehalfOf,
      headers: loggableHeaders(req.headers),
      body: body.kind === "json" ? body.value : body.kind === "invalid" ? body.text : null,
      fault: outcome.fault ? { kind: outcome.fault.kind, phase: outcome.fault.phase } : null,
    };
    this.rt.log.add(entry);

    if (this.closing) return;
    if (outcome.reply === "reset") req.socket.destroy();
    else writeReply(res, outcome.reply, this.rt.clock.now());
  }

  /** The SendGrid pipeline for one /v3 (or unknown) request. */
  private async api(req: IncomingMessage, method: string, pathname: string, body: ParsedBody): Promise<Outcome> {
    const match = matchRoute(method, pathname);
    const isMailSend = match.kind === "ok" && match.id === "mail.send";
    // Mail Send ignores on-behalf-of (SendGrid: not supported there); the key's account sends.
    const auth = this.rt.accounts.authenticate(req.headers, !isMailSend);
    const base = { route: match.kind === "not-found" ? null : match.template, fault: null };
    if (!auth.ok) return { ...base, reply: auth.reply, account: auth.account, onBehalfOf: auth.onBehalfOf };
    const { scope } = auth;
    const who = { account: scope.account, onBehalfOf: scope.onBehalfOf };
    if (match.kind === "not-found") return { ...base, ...who, reply: sendgridError(404, EMULATOR_MESSAGES.notFound) };
    if (match.kind === "method-not-allowed") return { ...base, ...who, reply: sendgridError(405, SENDGRID_MESSAGES.methodNotAllowed) };

    // Rate limits count per API key (its account) and endpoint; Mail Send carries no X-RateLimit headers.
    const verdict = isMailSend ? null : this.rt.limiter.take(scope.account, `${method} ${match.template}`);
    const limitHeaders = verdict?.headers ?? {};
    if (verdict && !verdict.allowed) {
      return { ...base, ...who, reply: withHeaders(sendgridError(429, SENDGRID_MESSAGES.tooManyRequests), limitHeaders) };
    }

    const operation = OPERATIONS[match.id][method];
    const run = (): Reply =>
      withHeaders(
        safely(() =>
          operation
            ? operation({ scope, batchId: match.batchId, body, state: this.rt.state, config: this.rt.config })
            : sendgridError(405, SENDGRID_MESSAGES.methodNotAllowed),
        ),
        limitHeaders,
      );

    const fault = this.rt.faults.next();
    if (!fault) return { ...base, ...who, reply: run() };
    if (fault.kind === "slow") {
      // "before": the work waits; "after": the work is done, then the answer is late.
      if (fault.phase === "before") await this.delay(fault.slowMs);
      const reply = run();
      if (fault.phase === "after") await this.delay(fault.slowMs);
      return { ...base, ...who, fault, reply };
    }
    if (fault.phase === "after") run();
    return { ...base, ...who, fault, reply: faultReply(fault, limitHeaders, isMailSend, this.rt) };
  }
}

function faultReply(fault: FaultDecision, limitHeaders: Record<string, string>, isMailSend: boolean, rt: Runtime): Reply | "reset" {
  switch (fault.kind) {
    case "reset":
      return "reset";
    case "500":
      return withHeaders(sendgridError(500, SENDGRID_MESSAGES.internalServerError), limitHeaders);
    case "503":
      return withHeaders(sendgridError(503, EMULATOR_MESSAGES.serviceUnavailable), limitHeaders);
    case "429": {
      const limit = rt.config.rateLimit ? rt.config.rateLimit.limit : FAULT_429_LIMIT;
      const tooMany = sendgridError(429, SENDGRID_MESSAGES.tooManyRequests);
      if (isMailSend) return tooMany;
      return withHeaders(tooMany, {
        "X-RateLimit-Limit": String(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": String(Math.ceil(Date.now() / 1000) + 1),
      });
    }
    case "slow":
      throw new Error("slow faults are not replies");
  }
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

function safely(fn: () => Reply): Reply {
  try {
    return fn();
  } catch {
    return sendgridError(500, SENDGRID_MESSAGES.internalServerError);
  }
}
