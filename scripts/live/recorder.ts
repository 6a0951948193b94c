// The recorder: a loopback HTTP proxy between the core's client and SendGrid (or an emulator). It
// records every exchange with ids replaced by placeholders, journals each batch id SendGrid mints
// before the client even sees it, and refuses anything the live suite must never do: Mail Send, a
// route it does not know, or a write to a batch this run did not create.

import { createServer, type IncomingMessage, type Server } from "node:http";
import { matchRoute } from "../../emulator/routes";
import { MALFORMED_ID, mapStrings, ownEntriesOnly, type Exchange, type Placeholders, type RateLimitSeen } from "./recording";

const FORWARDED_HEADERS = ["authorization", "on-behalf-of", "content-type", "accept", "user-agent"];
const TIMEOUT_MS = 30_000;

const ONE = "/v3/user/scheduled_sends/{batch_id}";

/** The request each labelled case is about; other requests of the same step carry no case. */
const CASE_REQUESTS: Record<NonNullable<Exchange["case"]>, readonly string[]> = {
  readWithoutStatus: [`GET ${ONE}`],
  samePatch: [`PATCH ${ONE}`],
  lateChange: ["POST /v3/user/scheduled_sends", `PATCH ${ONE}`],
  "malformedId.validate": ["GET /v3/mail/batch/{batch_id}"],
  "malformedId.read": [`GET ${ONE}`],
  "malformedId.create": ["POST /v3/user/scheduled_sends"],
  "malformedId.update": [`PATCH ${ONE}`],
  "malformedId.delete": [`DELETE ${ONE}`],
};

export interface RecorderOptions {
  /** Where requests go: SendGrid's origin or an emulator's. */
  target: string;
  ids: Placeholders;
  /** Hears every batch id SendGrid mints, before the answer is passed on (the journal). */
  onCreated: (id: string) => void;
  /** Ids from an earlier run that this one may touch (`--clean-up`). */
  alsoOwned?: readonly string[];
}

export interface Recorder {
  /** Base URL of the proxy, for the client's apiUrl. */
  readonly url: string;
  readonly exchanges: Exchange[];
  /** Requests the guard refused (each one fails the run). */
  readonly refused: string[];
  /** Labels the exchanges that follow with the table row (and undocumented case) being run. */
  step(label: string, which?: Exchange["case"]): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parse(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function rateLimitOf(headers: Headers): RateLimitSeen | null {
  const limit = headers.get("x-ratelimit-limit");
  const remaining = headers.get("x-ratelimit-remaining");
  const reset = headers.get("x-ratelimit-reset");
  if (limit === null && remaining === null && reset === null) return null;
  const resetAt = reset === null ? Number.NaN : Number(reset);
  return { limit, remaining, resetIn: Number.isFinite(resetAt) ? Math.round(resetAt - Date.now() / 1000) : null };
}

export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  const { ids } = opts;
  const owned = new Set<string>(opts.alsoOwned ?? []);
  for (const id of owned) ids.addCreated(id);
  const exchanges: Exchange[] = [];
  const refused: string[] = [];
  let current: { step: string; case?: Exchange["case"] } = { step: "(no step)" };

  /** Why this request must not reach SendGrid, or null when it may. */
  function guard(method: string, pathname: string, body: unknown): string | null {
    const match = matchRoute(method, pathname);
    if (match.kind !== "ok") return `${method} ${pathname} is not a route the suite uses`;
    if (match.id === "mail.send") return "the live suite never calls Mail Send";
    const mayTouch = (id: string) => owned.has(id) || id === MALFORMED_ID;
    if (match.batchId !== null && !mayTouch(match.batchId) && !(method === "GET" && ids.isKnown(match.batchId))) {
      return `${method} ${match.template} on a batch this run did not create`;
    }
    if (match.id === "scheduled_sends" && method === "POST") {
      const id = body && typeof body === "object" && "batch_id" in body ? body.batch_id : undefined;
      if (typeof id !== "string" || !mayTouch(id)) return "POST /v3/user/scheduled_sends for a batch this run did not create";
    }
    return null;
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = (req.method ?? "GET").toUpperCase();
      const url = new URL(req.url ?? "/", "http://recorder.local");
      const text = await readBody(req);
      const requestBody = parse(text);
      const why = guard(method, url.pathname, requestBody);
      if (why) {
        refused.push(why);
        res.writeHead(403, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ errors: [{ field: null, message: `refused by the live suite: ${why}` }] }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) {
        const v = req.headers[name];
        if (typeof v === "string") headers[name] = v;
      }
      const route = (matchRoute(method, url.pathname) as { template: string }).template;
      // Nothing the caller sent as a credential or account name reaches the file, even if echoed.
      const secrets: Array<[string, string]> = [];
      const token = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? "")?.[1];
      if (token) secrets.push([token, "{api-key}"]);
      if (headers["on-behalf-of"]) secrets.push([headers["on-behalf-of"], "{on-behalf-of}"]);
      const scrub = (text: string) => secrets.reduce((t, [secret, name]) => t.split(secret).join(name), ids.hide(text));
      const which = current.case && CASE_REQUESTS[current.case].includes(`${method} ${route}`) ? current.case : undefined;
      const exchange: Exchange = {
        step: current.step,
        ...(which ? { case: which } : {}),
        method,
        route,
        path: scrub(url.pathname),
        ...(requestBody !== null ? { requestBody: mapStrings(requestBody, scrub) } : {}),
        status: null,
        body: null,
        rateLimit: null,
      };
      exchanges.push(exchange);
      let answer: Response;
      let answerText: string;
      try {
        answer = await fetch(opts.target + url.pathname + url.search, {
          method,
          headers,
          body: text === "" ? undefined : text,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        answerText = await answer.text();
      } catch {
        res.destroy();
        return;
      }
      let body = parse(answerText);
      // Journal a new id before anyone else learns it: whatever happens next, --clean-up finds it.
      if (route === "/v3/mail/batch" && answer.status === 201 && body && typeof body === "object" && "batch_id" in body) {
        const id = body.batch_id;
        if (typeof id === "string") {
          opts.onCreated(id);
          owned.add(id);
          ids.addCreated(id);
        }
      }
      if (route === "/v3/user/scheduled_sends" && method === "GET" && answer.ok) {
        const own = ownEntriesOnly(body, ids);
        body = own.body;
        exchange.omittedEntries = own.omitted;
      }
      exchange.status = answer.status;
      exchange.body = mapStrings(body, scrub);
      exchange.rateLimit = rateLimitOf(answer.headers);

      const out: Record<string, string> = {};
      for (const [k, v] of answer.headers) if (k === "content-type" || k.startsWith("x-ratelimit-")) out[k] = v;
      res.writeHead(answer.status, out);
      res.end(answerText);
    })().catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    refused,
    step(label, which) {
      current = which ? { step: label, case: which } : { step: label };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
