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
// every other held batch is reported and left alone. No create takes such a batch back (a create
// cannot tell a pending create from the replacement of a resource the engine holds): clearing is
// how their slots are freed, once the pending creates are dropped.

import {
  JOURNAL_ENV,
  accountInWords,
  SendGridError,
  describeError,
  journalFromEnv,
  type Journal,
  type JournalEntry,
  type MintedBatch,
  type ScheduledSendStatus,
  type SendGridBatchClient,
} from "../core";
import type { Options } from "./args";
import { SLOT_LIMIT, confirmed, statusName, type Io } from "./io";
import { batchAccounts, hasResources, pendingOperations, recordedIn, type StateExport } from "./stateExport";

export type Verdict =
  /** A given export records the id (anywhere in its text): never touched. */
  | { kind: "recorded"; file: string }
  /** Named by --keep: never touched. */
  | { kind: "kept" }
  /** The journal: minted by a run that is over, never handed to a host. Its id reached no program: clearable. */
  | { kind: "proven"; minted: JournalEntry }
  /** The journal: minted by a run that may still be going (or claimed by one). Not touched, and --clear refuses. */
  | { kind: "in-flight"; minted: JournalEntry }
  /**
   * The journal: minted on this host name by a run whose liveness cannot be checked from here
   * (another pid namespace, or a line that does not say its namespace). Never proof, never cleared;
   * it does not stop --clear from freeing the proven ones (no create takes a batch over).
   */
  | { kind: "unchecked"; minted: JournalEntry }
  /** Not ours, or nothing proves its id reached no program: never touched. `why` when the journal names it but proves nothing. */
  | { kind: "unknown"; why?: string };

export interface HeldBatch {
  entry: ScheduledSendStatus;
  verdict: Verdict;
}

export interface Evidence {
  states: StateExport[];
  keep: readonly string[];
  /** Every id the journal shows minted, with its history and whether this key wrote its line (empty without a journal). */
  minted: MintedBatch[];
  /** The journal's ids a `claim` could take now (core Journal.unsettled for the queried account). */
  unsettled: ReadonlySet<string>;
  /** The journal's ids whose minting run's liveness cannot be checked here (core Journal.notProof "unchecked"). */
  unchecked: ReadonlySet<string>;
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
    // A line this account's key did not write (hand-written, another account's, an old unsigned
    // one) proves nothing, whatever it says.
    if (m && !m.signed) return { entry, verdict: { kind: "unknown", why: "journal line not written with this key" } };
    if (m && evidence.unchecked.has(id)) return { entry, verdict: { kind: "unchecked", minted: m.minted } };
    if (m && !m.handed && !m.cleared) return { entry, verdict: { kind: "in-flight", minted: m.minted } };
    return { entry, verdict: { kind: "unknown" } };
  });
}

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
      return `ours      ${head}  minted ${v.minted.time}${v.minted.resource ? ` for ${v.minted.resource}` : ""} by a run that ended without handing it to Pulumi: its id reached no program through this journal, clearing sends nothing (unless someone pasted its id into another project's batchId: this journal cannot see that, give every stack's export with --state)`;
    case "in-flight":
      return `running   ${head}  minted ${v.minted.time} by a run that may still be going (pid ${v.minted.pid} on ${v.minted.host}): not touched`;
    case "unchecked":
      return `running?  ${head}  minted ${v.minted.time} on this host name by pid ${v.minted.pid} ${v.minted.pidns ? `in another pid namespace (${v.minted.pidns})` : "of a build that did not record its pid namespace"}: whether that run is over cannot be checked from here, so it is no proof: not touched`;
    case "unknown":
      return `unknown   ${head}  not ours / unknown${v.why ? ` (${v.why})` : ""}: not touched (clearing its status would send its mail${h.entry.status === "cancel" ? " again" : " on schedule"})`;
  }
}

/** Problems with the evidence that make --clear meaningless or unsafe; listing only warns of them. */
function evidenceProblems(client: SendGridBatchClient, states: StateExport[]): string[] {
  const problems: string[] = [];
  for (const s of states) {
    const accounts = batchAccounts(s);
    if (accounts.length === 0) {
      // An empty stack (new, or destroyed) has nothing to compare; one of other resources is likely another stack.
      if (hasResources(s)) problems.push(`${s.file} holds no ScheduledBatch resource: is it the export of the right stack?`);
      continue;
    }
    if (!accounts.some((a) => a.account === client.accountKey)) {
      const theirs = [...new Set(accounts.map((a) => accountInWords(a.account)))].join(", ");
      problems.push(
        `${s.file}: its batches are in ${theirs}, not in ${client.accountLabel} (the account queried): pass the --region, --on-behalf-of or --api-url of that account`,
      );
    }
  }
  return problems;
}

/** `sendgrid-batches orphans`: list what holds each slot; with --clear, free only the journal-proven ones. */
export async function orphansCommand(client: SendGridBatchClient, o: Options, states: StateExport[], io: Io): Promise<number> {
  const journal = journalFromEnv(o.journal ? { [JOURNAL_ENV]: o.journal } : process.env);
  const evidence = (): Evidence => ({
    states,
    keep: o.keep,
    minted: journal?.minted(client.journalKey) ?? [],
    unsettled: new Set((journal?.unsettled(client.accountKey, client.journalKey) ?? []).map((b) => b.minted.batchId)),
    unchecked: new Set(
      (journal?.minted(client.journalKey) ?? [])
        .filter((b) => journal?.notProof(b, client.accountKey) === "unchecked")
        .map((b) => b.minted.batchId),
    ),
  });
  const entries = await client.listStatuses();
  // A --keep that matches nothing protects nothing: a typo ("A,B", a lowercased id) must not pass silently.
  const strays = o.keep.filter((k) => !entries.some((e) => e.batch_id === k));
  if (strays.length) {
    io.err(
      `error: --keep ${strays.join(", ")}: no paused or cancelled batch of ${client.accountLabel} has that id (ids are case-sensitive; give --keep once per id)`,
    );
    return 2;
  }
  const held = classifyHeld(entries, evidence());
  const pending = states.flatMap(pendingOperations);
  const problems = evidenceProblems(client, states);
  report(io, { client, journal, entries, held, pending, problems });
  if (!o.clear) {
    if (countOf(held, "proven")) io.out("Run again with --clear to free the slots of the batches marked ours.");
    return 0;
  }
  const refused = refuseToClear(io, held, pending, problems);
  if (refused !== undefined) return refused;
  const proven = held.filter((h) => h.verdict.kind === "proven");
  if (
    !(await confirmed(
      o,
      io,
      `Delete the status of ${proven.length} batch(es) the journal proves reached no program (their mail, if any existed, would be sent)? [y/N] `,
    ))
  ) {
    io.err("not confirmed: nothing cleared (use --yes in scripts)");
    return 1;
  }
  // Right before deleting, the evidence is read again: the account's list (a batch resumed or
  // re-paused meanwhile) and the journal (an adoption or import meanwhile hands it to Pulumi). Only
  // what is still held and still proven is cleared.
  const again = classifyHeld(await client.listStatuses(), evidence());
  const still = proven.filter((p) => again.some((a) => a.entry.batch_id === p.entry.batch_id && a.verdict.kind === "proven"));
  for (const p of proven) if (!still.includes(p)) io.out(`${p.entry.batch_id}: changed since it was listed; not touched`);
  return clearProven(client, journal, still, io);
}

const countOf = (held: HeldBatch[], kind: Verdict["kind"]) => held.filter((h) => h.verdict.kind === kind).length;

/** The listing: the slots, each held batch with its verdict, the totals, warnings and pending operations. */
function report(
  io: Io,
  r: {
    client: SendGridBatchClient;
    journal: Journal | undefined;
    entries: ScheduledSendStatus[];
    held: HeldBatch[];
    pending: ReturnType<typeof pendingOperations>;
    problems: string[];
  },
): void {
  const count = (k: Verdict["kind"]) => countOf(r.held, k);
  const open = r.pending.filter((p) => !p.resolved);
  io.out(`${r.entries.length} of ${SLOT_LIMIT} slots used in ${r.client.accountLabel}; journal ${r.journal ? r.journal.file : "off"}`);
  for (const h of r.held) io.out(describeHeld(h));
  io.out(
    `${count("recorded")} recorded, ${count("kept")} kept, ${count("proven")} ours and clearable, ${count("in-flight")} of a run that may be going, ${count("unknown")} not ours / unknown${count("unchecked") ? `, ${count("unchecked")} of a run whose end cannot be checked here` : ""}`,
  );
  for (const p of r.problems) io.err(`warning: ${p}`);
  if (open.length) {
    io.out(`${open.length} pending operation(s) in the given stacks (an interrupted or still running \`pulumi up\`):`);
    for (const p of open) io.out(`pending  ${p.type}  ${p.urn}${p.id ? `  id ${p.id}` : ""}  (${p.file})`);
    io.out(
      "Once no run is going: `pulumi refresh --clear-pending-creates`, export again, and --clear frees the batches marked ours; `pulumi up` creates those resources anew (no create takes a stranded batch back).",
    );
  }
  const resolved = r.pending.length - open.length;
  if (resolved)
    io.out(
      `${resolved} pending create(s) whose resource the export records already (\`pulumi refresh --clear-pending-creates\` drops them)`,
    );
  if (count("unknown")) io.out(UNKNOWN_NOTE);
}

/** Why --clear must not go on (its exit code, said on `io`), or undefined when it may. */
function refuseToClear(io: Io, held: HeldBatch[], pending: ReturnType<typeof pendingOperations>, problems: string[]): number | undefined {
  if (problems.length) {
    io.err("error: not clearing: the given exports do not match the account queried (see the warnings above)");
    return 2;
  }
  if (pending.some((p) => !p.resolved) || countOf(held, "in-flight")) {
    // A pending create is also what a *running* `up` shows between minting a batch and recording it.
    io.err(
      "error: not clearing while a run may still be going (pending operations in a given export, or a journaled batch whose run is still alive): " +
        "make sure no `pulumi up` is running, `pulumi cancel` if the stack is still locked, then `pulumi refresh --clear-pending-creates` and export again",
    );
    return 1;
  }
  if (countOf(held, "proven") === 0) {
    io.out("nothing to clear: only batches the journal proves ours are ever cleared");
    return 0;
  }
  return undefined;
}

/**
 * DELETE each still-proven batch's status, each claimed first. Why DELETE and not cancel-then-DELETE:
 * DELETE is the only call that frees a slot, and the batch's id reached no program, so there is no
 * mail for either call to release or discard.
 */
async function clearProven(client: SendGridBatchClient, journal: Journal | undefined, still: HeldBatch[], io: Io): Promise<number> {
  let failures = 0;
  let freed = 0;
  for (const p of still) {
    // Each DELETE is claimed first (core Journal.claimId): another process that claimed the batch
    // earlier (another --clear, an earlier build's create) keeps it, and an adoption or import that
    // comes later sees this live claim and is refused (BATCH_CLAIMED); the claim holds until this
    // command ends.
    let mine: boolean;
    try {
      mine = journal?.claimId(p.entry.batch_id, client.journalKey) === true;
    } catch (err) {
      io.err(`error: ${p.entry.batch_id}: not cleared: ${describeError(err)}`);
      failures++;
      break;
    }
    if (!mine) {
      io.out(`${p.entry.batch_id}: handed or claimed by another process meanwhile; not touched`);
      continue;
    }
    try {
      await client.clearStatus(p.entry.batch_id);
      journal?.append("cleared", p.entry.batch_id, client.journalKey);
      freed++;
      io.out(`cleared ${p.entry.batch_id} (was ${statusName(p.entry)})`);
    } catch (err) {
      if (err instanceof SendGridError && err.code === "BATCH_NOT_FOUND") {
        io.out(`${p.entry.batch_id}: already has no status`);
        // Its status is gone all the same: the `cleared` line ends this claim (an adoption waits for it).
        try {
          journal?.append("cleared", p.entry.batch_id, client.journalKey);
        } catch (lineErr) {
          failures++;
          io.err(`error: ${p.entry.batch_id}: ${describeError(lineErr)}`);
        }
        continue;
      }
      failures++;
      io.err(`error: ${p.entry.batch_id}: ${describeError(err)}`);
    }
  }
  const now = await client.listStatuses();
  io.out(`freed ${freed} slot(s); ${now.length} of ${SLOT_LIMIT} slots used`);
  return failures ? 1 : 0;
}

const UNKNOWN_NOTE =
  "Batches marked unknown may carry mail: a stack's old batch (destroyed, replaced, `pulumi state delete`, retainOnDelete), one made by an application or another tool. Clearing the status of a paused batch sends its mail on schedule, of a cancelled one sends it again: this command never does. Free such a slot by hand only once you know whose it is.";
