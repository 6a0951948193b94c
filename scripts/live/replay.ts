// Replays a recording against an emulator, request by request, and says where the answers differ:
// status, body shape, SendGrid's error messages (and fields), success bodies, rate-limit headers.
// Also derives the emulator settings (its switches for undocumented cases) that match a recording.

import { randomBytes } from "node:crypto";
import type { Recording } from "./recording";
import { Placeholders, canonical, errorItems, mapStrings, ownEntriesOnly, shapeOf, type Exchange } from "./recording";

export type DifferenceKind = "status" | "shape" | "message" | "body" | "rate-limit headers";

export interface Difference {
  index: number;
  step: string;
  case?: Exchange["case"];
  method: string;
  route: string;
  kind: DifferenceKind;
  recorded: string;
  emulator: string;
}

export interface ReplayTarget {
  url: string;
  apiKey: string;
  /** A subuser the emulator knows, used when the recording was made with on-behalf-of. */
  onBehalfOf?: string;
}

/** A fresh well-formed id (32 URL-safe characters) that no account has. */
export function unknownBatchId(): string {
  return `unknown${randomBytes(18).toString("base64url")}`.slice(0, 32);
}

function show(status: number | null, body: unknown): string {
  const text = body === null ? "" : ` ${JSON.stringify(body)}`;
  return `${status ?? "no answer"}${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
}

/** Compare one recorded exchange with the emulator's answer to the same request. */
export function compareExchange(
  recorded: Exchange,
  got: { status: number | null; body: unknown; rateLimit: boolean },
  index: number,
): Difference[] {
  const base = {
    index,
    step: recorded.step,
    method: recorded.method,
    route: recorded.route,
    ...(recorded.case ? { case: recorded.case } : {}),
  };
  const out: Difference[] = [];
  const diff = (kind: DifferenceKind, r: string, e: string) => out.push({ ...base, kind, recorded: r, emulator: e });
  if (recorded.status !== got.status) diff("status", show(recorded.status, recorded.body), show(got.status, got.body));
  if (shapeOf(recorded.body) !== shapeOf(got.body)) diff("shape", shapeOf(recorded.body), shapeOf(got.body));
  const recordedErrors = errorItems(recorded.body);
  if (recordedErrors) {
    const a = JSON.stringify(recordedErrors);
    const b = JSON.stringify(errorItems(got.body));
    if (a !== b) diff("message", a, b);
  } else if (recorded.status !== null && recorded.status < 300 && canonical(recorded.body) !== canonical(got.body)) {
    diff("body", JSON.stringify(recorded.body), JSON.stringify(got.body));
  }
  if ((recorded.rateLimit !== null) !== got.rateLimit) {
    diff("rate-limit headers", recorded.rateLimit ? "sent" : "none", got.rateLimit ? "sent" : "none");
  }
  return out;
}

/**
 * Send every recorded request to the emulator in order (ids this run created are bound to the
 * emulator's new ids as they appear) and compare each answer with the recorded one.
 */
export async function replay(recording: Recording, target: ReplayTarget): Promise<Difference[]> {
  const ids = new Placeholders(unknownBatchId());
  const differences: Difference[] = [];
  for (const [index, ex] of recording.exchanges.entries()) {
    const headers: Record<string, string> = { Authorization: `Bearer ${target.apiKey}`, Accept: "application/json" };
    if (recording.onBehalfOf && target.onBehalfOf) headers["On-Behalf-Of"] = target.onBehalfOf;
    let body: string | undefined;
    if (ex.requestBody !== undefined) {
      body = JSON.stringify(mapStrings(ex.requestBody, (s) => ids.reveal(s, false)));
      headers["Content-Type"] = "application/json";
    }
    const res = await fetch(target.url + ids.reveal(ex.path, true), { method: ex.method, headers, body });
    const text = await res.text();
    let got: unknown = null;
    if (text !== "") {
      try {
        got = JSON.parse(text) as unknown;
      } catch {
        got = text;
      }
    }
    // Bind the emulator's new id to the placeholder the recording gave SendGrid's.
    const recordedId = ex.body && typeof ex.body === "object" && "batch_id" in ex.body ? ex.body.batch_id : undefined;
    if (ex.route === "/v3/mail/batch" && res.status === 201 && typeof recordedId === "string") {
      const newId = got && typeof got === "object" && "batch_id" in got && typeof got.batch_id === "string" ? got.batch_id : undefined;
      if (newId) ids.bind(newId, recordedId);
    }
    if (ex.route === "/v3/user/scheduled_sends" && ex.method === "GET" && res.ok) got = ownEntriesOnly(got, ids).body;
    got = mapStrings(got, (s) => ids.hide(s));
    differences.push(...compareExchange(ex, { status: res.status, body: got, rateLimit: res.headers.has("x-ratelimit-limit") }, index));
  }
  return differences;
}

/** Differences the emulator must not have: everything but rate-limit headers (its limiter is off by default). */
export function contractDifferences(differences: Difference[]): Difference[] {
  return differences.filter((d) => d.kind !== "rate-limit headers");
}

/**
 * The emulator settings under which it answers the recording's undocumented cases as recorded:
 * the recorded answer becomes the case's canned reply; a single read without status maps onto
 * `singleReadWithoutStatus`. Cases that agree already are left at the defaults.
 */
export function settingsFor(recording: Recording, differences: Difference[]): Recording["emulator"] {
  const settings: Recording["emulator"] = {};
  const differing = new Set(contractDifferences(differences).map((d) => d.index));
  for (const [index, ex] of recording.exchanges.entries()) {
    if (!ex.case || !differing.has(index) || ex.status === null) continue;
    if (ex.case === "readWithoutStatus") {
      if (ex.status === 404) settings.singleReadWithoutStatus = "404";
      else if (ex.status === 200) settings.singleReadWithoutStatus = "empty";
      continue;
    }
    settings.undocumented = {
      ...settings.undocumented,
      [ex.case]: { status: ex.status, ...(ex.body !== null ? { body: ex.body } : {}) },
    };
  }
  return settings;
}

/** The differences as a short text table; rate-limit header differences in one summary line. */
export function differenceTable(differences: Difference[], recordedName = "SendGrid"): string {
  const headerOnly = differences.filter((d) => d.kind === "rate-limit headers");
  const rest = contractDifferences(differences);
  const lines: string[] = [];
  if (rest.length === 0) lines.push(`${recordedName} and the emulator agree on every exchange's status, body shape and messages.`);
  else {
    const rows = rest.map((d) => [String(d.index), d.step, `${d.method} ${d.route}`, d.kind, d.recorded, d.emulator]);
    const head = ["#", "step", "request", "differs in", recordedName, "emulator"];
    const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
    const line = (cells: string[]) =>
      cells.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i]))).join(" | ");
    lines.push(line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line));
  }
  if (headerOnly.length) {
    lines.push(
      `X-RateLimit-* headers differ on ${headerOnly.length} exchange(s) (the emulator's limiter is off unless configured: --rate-limit).`,
    );
  }
  return lines.join("\n");
}
