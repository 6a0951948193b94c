// The recording format of the live contract suite (test/fixtures/sendgrid/recorded/<date>.json) and
// the placeholders that keep batch ids out of it.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EmulatorConfig, UndocumentedCase } from "../../emulator";

/** SendGrid's X-RateLimit-* headers as seen, `resetIn` relative to the answer (Reset is an epoch). */
export interface RateLimitSeen {
  limit: string | null;
  remaining: string | null;
  resetIn: number | null;
}

/** One HTTP exchange. Ids appear only as placeholders: `{batch:N}` (made by this run), `{malformed}`, `{unknown}`. */
export interface Exchange {
  /** The table row that made it, e.g. "paused → cancelled" or "malformed id: read". */
  step: string;
  /** The undocumented case it shows, when the emulator has a switch for it. */
  case?: UndocumentedCase | "readWithoutStatus";
  method: string;
  /** SendGrid's route template, e.g. `/v3/user/scheduled_sends/{batch_id}`. */
  route: string;
  /** The path with placeholders, e.g. `/v3/user/scheduled_sends/{batch:1}`. */
  path: string;
  requestBody?: unknown;
  /** null when the connection failed without an answer. */
  status: number | null;
  /** Parsed JSON, the raw text when not JSON, null when empty. */
  body: unknown;
  rateLimit: RateLimitSeen | null;
  /** List answers keep only this run's batches; this many other entries of the account were left out. */
  omittedEntries?: number;
}

export interface NotExercised {
  case: string;
  why: string;
}

export interface Recording {
  format: 1;
  /** "sendgrid": the real API; "emulator": made against the local emulator by the same recorder. */
  madeAgainst: "sendgrid" | "emulator";
  recordedAt: string;
  region: "global" | "eu";
  onBehalfOf: boolean;
  note: string;
  notExercised: NotExercised[];
  /** Emulator settings under which it reproduces this recording (empty: its defaults do). */
  emulator: Partial<Pick<EmulatorConfig, "singleReadWithoutStatus" | "undocumented">>;
  exchanges: Exchange[];
}

/** An id no SendGrid batch can have: characters outside SendGrid's id pattern. */
export const MALFORMED_ID = "not a batch id!";

/** Maps real ids to placeholders and back. Ids this run created are numbered in creation order. */
export class Placeholders {
  private readonly toName = new Map<string, string>();
  private readonly toId = new Map<string, string>();
  private created = 0;

  constructor(unknownId: string) {
    this.bind(MALFORMED_ID, "{malformed}");
    this.bind(unknownId, "{unknown}");
  }

  /** A batch this run created. */
  addCreated(id: string): string {
    const existing = this.toName.get(id);
    if (existing) return existing;
    const name = `{batch:${++this.created}}`;
    this.bind(id, name);
    return name;
  }

  bind(id: string, name: string): void {
    this.toName.set(id, name);
    this.toId.set(name, id);
  }

  isKnown(id: string): boolean {
    return this.toName.has(id);
  }

  nameOf(id: string): string | undefined {
    return this.toName.get(id);
  }

  idOf(name: string): string | undefined {
    return this.toId.get(name);
  }

  /** Every known id inside a string replaced by its placeholder (longest first, so no id is cut). */
  hide(text: string): string {
    let out = text;
    for (const id of [...this.toName.keys()].sort((a, b) => b.length - a.length)) {
      out = out.split(id).join(this.toName.get(id) as string);
      const encoded = encodeURIComponent(id);
      if (encoded !== id) out = out.split(encoded).join(this.toName.get(id) as string);
    }
    return out;
  }

  /** Every placeholder inside a string replaced by its id (URL-encoded in paths). */
  reveal(text: string, encode: boolean): string {
    return text.replace(/\{(?:batch:\d+|malformed|unknown)\}/g, (name) => {
      const id = this.toId.get(name);
      if (id === undefined) throw new Error(`no id bound to ${name}`);
      return encode ? encodeURIComponent(id) : id;
    });
  }
}

/** A JSON value with every string passed through `f`. */
export function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  }
  return value;
}

/**
 * A list answer (`GET /v3/user/scheduled_sends`) reduced to this run's batches: the account's other
 * batches are none of the suite's business, and their ids must not be recorded.
 */
export function ownEntriesOnly(body: unknown, ids: Placeholders): { body: unknown; omitted: number } {
  if (!Array.isArray(body)) return { body, omitted: 0 };
  const own = body.filter(
    (e: unknown) => typeof e === "object" && e !== null && "batch_id" in e && typeof e.batch_id === "string" && ids.isKnown(e.batch_id),
  );
  return { body: own, omitted: body.length - own.length };
}

/** The type structure of a JSON value: keys and value types, array element shapes (deduplicated). */
export function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${[...new Set(value.map(shapeOf))].sort().join("|")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${k}:${shapeOf(v)}`).join(",")}}`;
  }
  return typeof value;
}

/** SendGrid's error items (`errors[].field/message`), or null when the body is no error body. */
export function errorItems(body: unknown): Array<{ field: unknown; message: unknown }> | null {
  if (!body || typeof body !== "object" || !("errors" in body) || !Array.isArray(body.errors)) return null;
  return body.errors.map((e: unknown) => {
    const item = (e && typeof e === "object" ? e : {}) as Record<string, unknown>;
    return { field: item.field ?? null, message: item.message };
  });
}

/** Arrays of objects sorted by their JSON, so list order does not count as a difference. */
export function canonical(value: unknown): string {
  const sortDeep = (v: unknown): unknown => {
    if (Array.isArray(v))
      return v
        .map(sortDeep)
        .map((x) => JSON.stringify(x))
        .sort()
        .map((x) => JSON.parse(x) as unknown);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, sortDeep(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(sortDeep(value) ?? null);
}

/**
 * The recording the emulator is held to: the newest one made against SendGrid, else (until a user
 * adds one) the newest made against the emulator. Files are named `<date>.json` / `<date>.emulator.json`.
 */
export function newestRecording(dir: string): { file: string; recording: Recording } {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}.*\.json$/.test(f))
    .sort()
    .reverse();
  const load = (f: string) => ({ file: path.join(dir, f), recording: JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Recording });
  const all = files.map(load);
  const chosen = all.find((r) => r.recording.madeAgainst === "sendgrid") ?? all[0];
  if (!chosen) throw new Error(`no recording in ${dir}`);
  return chosen;
}
