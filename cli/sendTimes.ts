// Which send time `clear-cancelled` may decide by. SendGrid does not report a batch's send times,
// and a batch can carry mail with several: clearing a cancelled batch's status sends every message
// of it still scheduled. So every source is heard (each --state file, --sent), the latest time any
// of them gives is the one that must have passed, and sources that disagree make the batch
// unclearable (one of them is stale, and mail may be scheduled at a time none of them knows) unless
// the operator says which to trust (--trust-sent: the --sent time, for the ids it names).

import type { DeclaredSendTime } from "./stateExport";

/** One source's word on a batch's send time. */
export interface SendTimeClaim {
  /** `--sent`, or the --state file it comes from. */
  source: string;
  /** Unix seconds, or why the source's value cannot be read. */
  time: DeclaredSendTime;
}

/** Every claim per batch id, in the order the sources were given. */
export type SendTimeClaims = Map<string, SendTimeClaim[]>;

/** The claims of each --state file (by file name) and of --sent. */
export function gatherClaims(
  states: { file: string; sendTimes: Map<string, DeclaredSendTime[]> }[],
  sent: Map<string, number>,
): SendTimeClaims {
  const claims: SendTimeClaims = new Map();
  const add = (id: string, claim: SendTimeClaim) => claims.set(id, [...(claims.get(id) ?? []), claim]);
  for (const s of states) for (const [id, times] of s.sendTimes) for (const time of times) add(id, { source: s.file, time });
  for (const [id, seconds] of sent) add(id, { source: "--sent", time: { seconds } });
  return claims;
}

export type SendTimeVerdict =
  /** No source gives a time. */
  | { kind: "unknown" }
  /** A source's value cannot be read: nothing is decided on it. */
  | { kind: "unreadable"; claims: SendTimeClaim[]; reason: string }
  /** The sources differ; `seconds` is the latest they give. */
  | { kind: "disagree"; seconds: number; claims: SendTimeClaim[] }
  /** One time, given by every source heard (`trusted`: --sent alone, by --trust-sent). */
  | { kind: "known"; seconds: number; claims: SendTimeClaim[]; trusted: boolean };

/** What the sources say about one batch. Pure. */
export function sendTimeOf(all: SendTimeClaim[] | undefined, trustSent: boolean): SendTimeVerdict {
  if (!all?.length) return { kind: "unknown" };
  const fromSent = all.filter((c) => c.source === "--sent");
  const trusted = trustSent && fromSent.length > 0;
  const claims = trusted ? fromSent : all;
  const unreadable = claims.find((c) => "unreadable" in c.time);
  if (unreadable && "unreadable" in unreadable.time) return { kind: "unreadable", claims, reason: unreadable.time.unreadable };
  const seconds = claims.map((c) => ("seconds" in c.time ? c.time.seconds : Number.NaN));
  const latest = Math.max(...seconds);
  if (new Set(seconds).size > 1) return { kind: "disagree", seconds: latest, claims };
  return { kind: "known", seconds: latest, claims, trusted };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** "a.json says 2026-…Z, --sent says 2026-…Z": which source says what. */
export function describeClaims(claims: SendTimeClaim[]): string {
  return claims
    .map((c) => `${c.source} says ${"seconds" in c.time ? iso(c.time.seconds) : `${c.time.unreadable} (unreadable)`}`)
    .join(", ");
}
