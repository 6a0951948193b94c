// The answer to CloudFormation: a JSON body PUT to the event's pre-signed ResponseURL.
//
// Rules (CloudFormation user guide, "Custom resource response objects" (crpg-ref-responses); the
// summary in lambda/README.md):
// - the whole body is at most 4096 bytes, else "Response object is too long" — we shorten Reason,
//   keeping its start (the useful part; crhelper keeps the end, custom-resource-helper PR #73);
// - Content-Type must be EMPTY: the URL is signed without one, so any value gives 403
//   SignatureDoesNotMatch (binxio/cfn-secret-provider#3). fetch() would add text/plain, hence
//   node:https directly;
// - Content-Length is the UTF-8 byte length (AWS's own cfn-response uses string length and
//   truncates non-ASCII bodies);
// - any HTTP status ≥ 400 is a failure, retried with jittered backoff (CDK's provider framework
//   does the same), each attempt with its own timeout, all of it before the function's deadline.

import * as http from "node:http";
import * as https from "node:https";
import { backoffMs, isLoopbackHost, retry, type Sleep } from "../core";

export const MAX_BODY_BYTES = 4096;

export interface ResponseBody {
  Status: "SUCCESS" | "FAILED";
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, string>;
}

const ELLIPSIS = " …[truncated]";

/** The serialized body, ≤ 4096 bytes: Reason is cut (keeping its start), then Data dropped. */
export function serializeBody(body: ResponseBody, maxBytes: number = MAX_BODY_BYTES): string {
  let text = JSON.stringify(body);
  if (Buffer.byteLength(text) <= maxBytes) return text;

  if (body.Reason !== undefined) {
    // Binary search on code points: JSON escaping and UTF-8 make bytes per character vary.
    const chars = Array.from(body.Reason);
    const fits = (n: number) => Buffer.byteLength(JSON.stringify({ ...body, Reason: chars.slice(0, n).join("") + ELLIPSIS })) <= maxBytes;
    let lo = 0;
    let hi = chars.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    text = JSON.stringify({ ...body, Reason: chars.slice(0, lo).join("") + ELLIPSIS });
    if (Buffer.byteLength(text) <= maxBytes) return text;
  }
  // Still too long: our Data is two short strings, so this only guards against the impossible.
  const { Data: _dropped, ...rest } = body;
  return JSON.stringify({ ...rest, Reason: (rest.Reason ?? "").slice(0, 256) });
}

export interface SendOptions {
  /** Epoch ms by which every attempt must be over. */
  respondBy: number;
  maxAttempts?: number;
  /** Upper bound of one attempt. */
  attemptTimeoutMs?: number;
  baseDelayMs?: number;
  random?: () => number;
  now?: () => number;
  /** How to wait between attempts (tests record the waits). */
  sleep?: Sleep;
}

/** Where the answer goes, or why it cannot: a short outcome (sendResponse's) and a sentence (the log's). */
export type ResponseTarget = { url: URL } | { refused: "ResponseURL is not a URL" | "ResponseURL is not https"; reason: string };

/**
 * The ResponseURL rule. CloudFormation's is a pre-signed https S3 URL; http is accepted for
 * loopback only (local tests). The URL itself is never echoed: its query string is a write capability.
 */
export function responseTarget(responseUrl: string): ResponseTarget {
  const url = URL.canParse(responseUrl) ? new URL(responseUrl) : undefined;
  if (url === undefined) return { refused: "ResponseURL is not a URL", reason: "ResponseURL is not a URL" };
  if (url.protocol === "https:" && url.hostname) return { url };
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return { url };
  const to = url.hostname ? ` to ${url.hostname}` : "";
  return {
    refused: "ResponseURL is not https",
    reason: `ResponseURL must be https (http only to a loopback host), got a ${url.protocol} URL${to}`,
  };
}

export interface SendResult {
  ok: boolean;
  attempts: number;
  /** Status of each attempt, or the error code when no status came back. */
  outcomes: (number | string)[];
}

/**
 * PUT the body to the ResponseURL, retrying failures with full-jitter backoff until `respondBy`.
 * Never throws: whatever goes wrong is in the result, so the handler always gets to log it.
 */
export async function sendResponse(responseUrl: string, bodyText: string, opts: SendOptions): Promise<SendResult> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 10_000;
  const backoff = { baseDelayMs: opts.baseDelayMs ?? 250, maxDelayMs: 4_000 };
  const outcomes: (number | string)[] = [];
  const target = responseTarget(responseUrl);
  if ("refused" in target) return { ok: false, attempts: 0, outcomes: [target.refused] };
  const { url } = target;
  // Each attempt needs a little time; none starts (and no backoff begins) within 50 ms of the end.
  const deadline = opts.respondBy - 50;
  if (now() >= deadline) return { ok: false, attempts: 0, outcomes };
  try {
    await retry(
      async () => {
        const outcome = await putOnce(url, bodyText, Math.min(attemptTimeoutMs, opts.respondBy - now())).catch(
          (err: NodeJS.ErrnoException) => err.code ?? err.name ?? "request failed",
        );
        outcomes.push(outcome);
        if (typeof outcome !== "number" || outcome >= 400) throw new Error(String(outcome));
      },
      {
        maxAttempts: opts.maxAttempts ?? 6,
        retryable: () => true, // every failed PUT, as the CDK provider framework does
        delayMs: (_err, failures) => backoffMs(failures - 1, backoff, random),
        deadline,
        now,
        sleep: opts.sleep,
      },
    );
    return { ok: true, attempts: outcomes.length, outcomes };
  } catch {
    return { ok: false, attempts: outcomes.length, outcomes };
  }
}

/** One PUT: resolves with the HTTP status, or an error code ("ETIMEDOUT", "ECONNREFUSED", …). */
function putOnce(url: URL, bodyText: string, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      method: "PUT",
      // An empty Content-Type is sent as such (not omitted): the signature covers it as empty.
      headers: { "content-type": "", "content-length": Buffer.byteLength(bodyText) },
      timeout: timeoutMs,
    });
    let settled = false;
    const done = (value: number | string) => {
      if (settled) return;
      settled = true;
      clearTimeout(hardStop);
      resolve(value);
    };
    // `timeout` above only covers socket idleness; this bounds the whole attempt.
    const hardStop = setTimeout(() => {
      done("ETIMEDOUT");
      req.destroy();
    }, timeoutMs);
    req.on("timeout", () => {
      done("ETIMEDOUT");
      req.destroy();
    });
    req.on("error", (err: NodeJS.ErrnoException) => done(err.code ?? err.name));
    req.on("response", (res) => {
      res.resume(); // drain S3's (XML) answer; only the status matters
      res.on("end", () => done(res.statusCode ?? 0));
      res.on("error", () => done(res.statusCode ?? 0));
    });
    req.end(bodyText);
  });
}
