// `sendgrid-batches orphans`: which of an account's paused or cancelled batches an interrupted run
// left behind, and clearing only those the journal proves reached no program.
//
// How they arise: `pulumi up` creates a batch in two requests (POST /v3/mail/batch, then the status
// write) and the engine records the id only when the create returns. A run killed in between
// leaves a batch that holds one of the account's 10 quota slots and that no state knows.
//
// Why absence from state is not enough: ids a stack used to hold (destroyed, replaced, `pulumi state
// delete`, retainOnDelete, dropped by an old refresh) and batches made outside Pulumi are absent
// too, and clearing their status sends their mail (a paused batch's on schedule, a cancelled one's
// again). The proof is the journal (core/journal.ts): an id minted by a run that is over and never
// handed to the engine never reached a program, so no mail carries it. Only those are cleared;
// every other held batch is reported and left alone. The next `pulumi up` with the same journal
// takes such batches back for the pending creates first, so clearing is for what is left after it.

import type { JournalEntry, MintedBatch, ScheduledSendStatus } from "../core";
import { recordedIn, type StateExport } from "./stateExport";

export type Verdict =
  /** A given export records the id (anywhere in its text): never touched. */
  | { kind: "recorded"; file: string }
  /** Named by --keep: never touched. */
  | { kind: "kept" }
  /** The journal: minted by a run that is over, never handed to a host. Its id reached no program: clearable. */
  | { kind: "proven"; minted: JournalEntry }
  /** The journal: minted by a run that may still be going (or claimed by one). Not touched, and --clear refuses. */
  | { kind: "in-flight"; minted: JournalEntry }
  /** Not ours, or nothing proves its id reached no program: never touched. */
  | { kind: "unknown" };

export interface HeldBatch {
  entry: ScheduledSendStatus;
  verdict: Verdict;
}

export interface Evidence {
  states: StateExport[];
  keep: readonly string[];
  /** Every id the journal shows minted, with its history (empty without a journal). */
  minted: MintedBatch[];
  /** The journal's ids a `claim` could take now (core Journal.unsettled for the queried account). */
  unsettled: ReadonlySet<string>;
}

/** What each held batch is, from the evidence. Pure. */
export function classifyHeld(entries: ScheduledSendStatus[], evidence: Evidence): HeldBatch[] {
  const minted = new Map(evidence.minted.map((m) => [m.minted.batchId, m]));
  return entries.map((entry) => {
    const id = entry.batch_id;
    const file = evidence.states.find((s) => recordedIn([s], id))?.file;
    if (file !== undefined) return { entry, verdict: { kind: "recorded", file } };
    if (evidence.keep.includes(id)) return { entry, verdict: { kind: "kept" } };
    const m = minted.get(id);
    if (m && evidence.unsettled.has(id)) return { entry, verdict: { kind: "proven", minted: m.minted } };
    if (m && !m.handed && !m.cleared) return { entry, verdict: { kind: "in-flight", minted: m.minted } };
    return { entry, verdict: { kind: "unknown" } };
  });
}

const statusName = (e: ScheduledSendStatus) => (e.status === "pause" ? "paused" : "cancelled");

/** One line per held batch, saying what it is and whether anything may touch it. */
export function describeHeld(h: HeldBatch): string {
  const head = `${h.entry.batch_id}  ${statusName(h.entry)}`;
  const v = h.verdict;
  switch (v.kind) {
    case "recorded":
      return `recorded  ${head}  in ${v.file}: not touched`;
    case "kept":
      return `kept      ${head}  --keep: not touched`;
    case "proven":
      return `ours      ${head}  minted ${v.minted.time}${v.minted.resource ? ` for ${v.minted.resource}` : ""} by a run that ended without handing it to Pulumi: its id reached no program, clearing sends nothing`;
    case "in-flight":
      return `running   ${head}  minted ${v.minted.time} by a run that may still be going (pid ${v.minted.pid} on ${v.minted.host}): not touched`;
    case "unknown":
      return `unknown   ${head}  not ours / unknown: not touched (clearing its status would send its mail${h.entry.status === "cancel" ? " again" : " on schedule"})`;
  }
}
