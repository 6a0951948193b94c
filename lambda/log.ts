// One JSON line per event, built up while the event runs and written once at the end.
// What never goes in: the ResponseURL's query string (it is a pre-signed write capability:
// whoever reads it can fake our answer, aws/aws-cdk PR #20899), the API key, SendGrid's raw
// bodies or headers, and properties we do not know (allow-list, so a key pasted into a wrong
// property is not echoed). Redaction itself is the core's (core/redact.ts): the client already
// removes the key from every error it makes; the log line and the Reason go through it once more,
// as a last line of defence for text that did not come from the client (AWS errors, a thrown bug).

import { redactSecrets } from "../core";
import { KNOWN_PROPERTIES } from "./properties";

export type LogFields = Record<string, unknown>;

/** `https://host/path` of a pre-signed URL: the signature and credentials live in the query. */
export function redactUrl(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?<redacted>" : ""}`;
  } catch {
    return "<unparsable URL>";
  }
}

/** Known properties only, values clipped; unknown keys are listed by name, never by value. */
export function redactProperties(props: unknown): LogFields | undefined {
  if (props === null || typeof props !== "object") return undefined;
  const out: LogFields = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    if ((KNOWN_PROPERTIES as readonly string[]).includes(key)) out[key] = typeof value === "string" ? clip(value, 256) : loggable(value);
    else unknown.push(key);
  }
  if (unknown.length) out.unknownProperties = unknown;
  return out;
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * A property that is not a string, as the line can hold it: a scalar as it is, a list or map as
 * clipped JSON, or its type when even that fails (a value nested too deep to serialise).
 */
function loggable(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  try {
    return clip(JSON.stringify(value), 256);
  } catch {
    return `<${Array.isArray(value) ? "array" : "object"} that cannot be serialised>`;
  }
}

/** Collects the fields of one event's log line; `write` emits it once. */
export class EventLog {
  private readonly fields: LogFields;
  private written = false;

  constructor(
    base: LogFields,
    private readonly sink: (line: string) => void = (line) => console.log(line),
    /** Strings that must never be printed (the API key once known); replaced as a last line of defence. */
    private readonly secrets: Set<string> = new Set(),
  ) {
    this.fields = { ...base };
  }

  set(fields: LogFields): void {
    Object.assign(this.fields, fields);
  }

  /** Register a value that must never appear in the line (nor in what `scrub` cleans). */
  forbid(secret: string): void {
    this.secrets.add(secret);
  }

  /** `text` with every forbidden value redacted (core/redact.ts): for what leaves the function other than the log (Reason). */
  scrub(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  write(level: "info" | "warn" | "error"): void {
    if (this.written) return;
    this.written = true;
    let line: string;
    try {
      line = JSON.stringify({ level, ...this.fields });
    } catch (err) {
      // Never let the log line turn an answered event into a rejected invocation: say what failed.
      const { requestType, requestId, stackId, logicalResourceId } = this.fields;
      const unwritable = `the event's log line could not be serialised (${err instanceof Error ? err.message : "error"})`;
      line = JSON.stringify({ level: "error", requestType, requestId, stackId, logicalResourceId, logError: unwritable });
    }
    this.sink(this.scrub(line));
  }
}
