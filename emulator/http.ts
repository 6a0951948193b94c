// HTTP plumbing: replies as values (so a fault can replace one after the work is done), SendGrid's
// error body, and body reading.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorResponse } from "../core/wire";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** Serialized as JSON; undefined means an empty body (201/202/204 without content). */
  body?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers, body };
}

export function empty(status: number): Reply {
  return { status, headers: {} };
}

/** SendGrid's error body: `{"errors":[{"field":…,"message":…}]}`, field JSON null when none. */
export function sendgridError(status: number, message: string, field: string | null = null): Reply {
  const body: ErrorResponse = { errors: [{ field, message }] };
  return json(status, body);
}

/**
 * Write `reply`. `dateSeconds` is the emulator's clock: like SendGrid, every answer carries a `Date`
 * header, here from the clock that decides the mail's fate (node would send the machine's).
 */
export function writeReply(res: ServerResponse, reply: Reply, dateSeconds: number): void {
  const headers: Record<string, string> = { Date: new Date(dateSeconds * 1000).toUTCString(), ...reply.headers };
  let payload = "";
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers["Content-Type"] = "application/json";
  }
  headers["Content-Length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export class BodyTooLarge extends Error {}

/** SendGrid accepts mail up to 30 MB; anything larger is refused with 413. */
export const MAX_BODY_BYTES = 30 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export type ParsedBody = { kind: "empty" } | { kind: "json"; value: unknown } | { kind: "invalid"; text: string };

export function parseJson(text: string): ParsedBody {
  if (text.trim() === "") return { kind: "empty" };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "invalid", text };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
