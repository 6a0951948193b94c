// The request log behind GET /__emulator/requests. The Authorization header is dropped before
// anything is stored, so the API key can never be read back, printed or serialized.

import type { IncomingHttpHeaders } from "node:http";
import type { RequestLogEntry } from "./types";

/** Oldest entries are dropped beyond this, so a long CI run does not grow without bound. */
const MAX_ENTRIES = 10_000;

export function loggableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "authorization" || name === "proxy-authorization" || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }

  list(): RequestLogEntry[] {
    return [...this.entries].sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.entries = [];
  }
}
