#!/usr/bin/env node
// sendgrid-batches: look at an account's paused/cancelled batches and free quota slots safely.
//
// SendGrid allows 10 batches paused or cancelled at once, and a cancelled batch keeps its slot
// until its status is DELETEd, even after its mail was discarded at send_at. But DELETE on a
// cancelled batch whose send_at is still ahead would *release* its mail, and SendGrid's API does
// not tell a batch's send_at. So `clear-cancelled` clears a cancelled batch only when its send
// time is known (from a Pulumi stack export or an explicit --sent) and has passed; paused batches
// are never touched. `orphans` frees the slots of batches no stack records (see ./orphans.ts).

import * as readline from "node:readline/promises";
import {
  SENDGRID_LIMITS,
  apiKeyProblem,
  clientFor,
  describeError,
  SendGridError,
  type SendGridBatchClient,
  type ScheduledSendStatus,
} from "../core";
import { parseCommandLine, type Options } from "./args";
import { findOrphans } from "./orphans";
import { describeClaims, gatherClaims, sendTimeOf, type SendTimeClaims } from "./sendTimes";
import { pendingOperations, readStateExport, sendTimesFromState, type StateExport } from "./stateExport";

export { sendTimesFromState } from "./stateExport";

const LIMIT = SENDGRID_LIMITS.maxPausedOrCancelled;

export const USAGE = `Usage:
  sendgrid-batches list            [connection options] [--state FILE ...] [--sent ID=TIME ...] [--margin SECONDS]
  sendgrid-batches clear-cancelled [connection options] [--state FILE ...] [--sent ID=TIME ...] [--margin SECONDS] [--yes] [--dry-run]
  sendgrid-batches orphans         [connection options] --state FILE [--state FILE ...] [--keep ID ...] [--clear [--yes]]

Connection options (the API key comes from SENDGRID_API_KEY):
  --api-url URL        API origin (default by region; http only for loopback, e.g. the emulator);
                       with --region only when it is that region's host
  --region global|eu   SendGrid region (default global)
  --on-behalf-of NAME  act for a subuser
Send times (SendGrid's API does not report them):
  --state FILE         a \`pulumi stack export --file FILE\` document; repeatable
  --sent ID=TIME       the send time of one batch (Unix seconds or ISO 8601); once per batch
  --trust-sent         for the batches given with --sent, decide by that time, not by --state
  --margin SECONDS     a whole number >= 0 (default 600)

clear-cancelled removes the status of cancelled batches whose send time passed more than
--margin seconds ago, after confirmation (or --yes). Paused batches are never touched. A batch
can carry mail with several send times and a recorded sendAt can be stale, so every source is
read: the latest time any --state file or --sent gives must have passed, and a batch whose sources
give different times is left alone (its row says which says what) unless --trust-sent settles it.
Clearing a status sends any mail of the batch scheduled later than the time shown.

orphans lists the paused/cancelled batches the account holds that no given stack export records
(left by a \`pulumi up\` that was killed between creating a batch and recording it), and the
pending creates those exports hold. Pass EVERY stack that uses this SendGrid account with --state,
and --keep ID for batches made outside Pulumi (CloudFormation, scripts): a batch missing from them
would look like an orphan. --clear frees the listed orphans' slots (DELETE of their status) after
confirmation (--yes in scripts). That is safe because the engine gives a batch id to a program only
after recording it in the stack's state: an id no state holds never reached a program, so no mail
carries it and clearing releases nothing. --clear needs at least one --state, refuses while a given
export still has pending operations (a run may still be going), and never touches an id that
appears anywhere in a given export.

Exit status: 0 done, 1 failed or not confirmed, 2 bad command line or unreadable --state file.`;

export interface Row {
  batchId: string;
  status: "paused" | "cancelled";
  sendAt?: number;
  clearable: boolean;
  why: string;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  confirm?: (q: string) => Promise<boolean>;
}

/**
 * Decide, per entry, whether clearing its status is safe, from every source's send time (see
 * ./sendTimes.ts): the latest must have passed more than `marginSeconds` ago, and the sources
 * heard must agree (with `trustSent`, a --sent time alone is heard for its batch). Pure.
 */
export function classify(
  entries: ScheduledSendStatus[],
  claims: SendTimeClaims,
  nowSeconds: number,
  marginSeconds: number,
  trustSent = false,
): Row[] {
  // A margin that is not a whole number >= 0 would make the comparison below false (NaN) or too
  // eager (negative), i.e. release mail: refuse rather than decide.
  if (!Number.isSafeInteger(marginSeconds) || marginSeconds < 0)
    throw new RangeError(`margin must be a whole number of seconds >= 0 (got ${marginSeconds})`);
  return entries.map((e): Row => {
    const all = claims.get(e.batch_id) ?? [];
    const known = sendTimeOf(all, trustSent);
    const sendAt = "seconds" in known ? known.seconds : undefined;
    const row = (clearable: boolean, why: string): Row => ({ batchId: e.batch_id, status: statusName(e), sendAt, clearable, why });
    if (e.status === "pause") return row(false, "paused: clearing would send its mail");
    if (known.kind === "unknown") return row(false, "send time unknown: pass --state or --sent");
    if (known.kind === "unreadable") return row(false, `a send time cannot be read (${describeClaims(known.claims)}): not decided on it`);
    const disagree = known.kind === "disagree" ? `; the sources disagree (${describeClaims(known.claims)}), the latest counts` : "";
    if (known.seconds > nowSeconds) return row(false, `send time not yet passed: clearing would release its mail${disagree}`);
    if (!(known.seconds + marginSeconds <= nowSeconds)) {
      return row(
        false,
        `send time passed only ${nowSeconds - known.seconds}s ago, within --margin ${marginSeconds}s: SendGrid may still be sending it, clearing could release it${disagree}`,
      );
    }
    if (known.kind === "disagree") {
      return row(
        false,
        `the sources disagree (${describeClaims(known.claims)}): a stale one may hide later mail; give --sent ${e.batch_id}=TIME with --trust-sent to decide by your time`,
      );
    }
    const overridden = all.filter((c) => !known.claims.includes(c));
    const trusted = known.trusted && overridden.length ? ` (--sent trusted over ${describeClaims(overridden)})` : "";
    return row(true, `mail already discarded at send time${trusted}`);
  });
}

function table(rows: Row[]): string {
  const lines = rows.map((r) =>
    [r.batchId, r.status, r.sendAt ? new Date(r.sendAt * 1000).toISOString() : "-", r.clearable ? "yes" : "no", r.why].join("  "),
  );
  return ["batch_id  status  send_at  clearable  reason", ...lines].join("\n");
}

const statusName = (e: ScheduledSendStatus) => (e.status === "pause" ? "paused" : "cancelled");

async function confirmed(o: Options, io: Io, question: string): Promise<boolean> {
  if (o.yes) return true;
  return io.confirm ? io.confirm(question) : false;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    io.err(`error: ${parsed.error}`);
    io.err(USAGE);
    return 2;
  }
  const o = parsed.options;
  if (o.command === "orphans" && o.clear && o.states.length === 0) {
    io.err(
      "error: orphans --clear needs at least one --state FILE (`pulumi stack export --file FILE` of every stack using this account): without them every batch would look like an orphan",
    );
    return 2;
  }
  const apiKey = process.env.SENDGRID_API_KEY;
  const keyProblem = apiKeyProblem(apiKey);
  if (keyProblem || !apiKey) {
    io.err(`error: ${keyProblem}`);
    return 2;
  }
  const states: StateExport[] = [];
  for (const file of o.states) {
    const read = readStateExport(file);
    if ("problem" in read) {
      io.err(`error: ${read.problem}`);
      return 2;
    }
    states.push(read.state);
  }

  try {
    const client = clientFor({ apiKey, apiUrl: o.apiUrl, region: o.region, onBehalfOf: o.onBehalfOf });
    if (o.command === "orphans") return await orphans(client, o, states, io);
    return await listOrClearCancelled(client, o, states, io);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 1;
  }
}

/** Said with every clear (prompt, --dry-run, --yes): what the command cannot know. */
const LATER_MAIL =
  "Clearing a cancelled batch's status sends any of its mail scheduled later than the send time shown: SendGrid does not report a batch's send times, only --state and --sent tell them.";

async function listOrClearCancelled(client: SendGridBatchClient, o: Options, states: StateExport[], io: Io): Promise<number> {
  const claims = gatherClaims(
    states.map((s) => ({ file: s.file, sendTimes: sendTimesFromState(s.doc) })),
    o.sent,
  );
  const rows = classify(await client.listStatuses(), claims, Math.floor(Date.now() / 1000), o.marginSeconds, o.trustSent);
  io.out(rows.length ? table(rows) : "no paused or cancelled batches");
  io.out(`${rows.length} of ${LIMIT} slots used`);
  if (o.command === "list") return 0;

  const clearable = rows.filter((r) => r.clearable);
  if (clearable.length === 0) {
    io.out("nothing to clear");
    return 0;
  }
  io.out(LATER_MAIL);
  if (o.dryRun) {
    io.out(`would clear ${clearable.length}: ${clearable.map((r) => r.batchId).join(", ")}`);
    return 0;
  }
  const question = `Clear the status of ${clearable.length} cancelled batch(es)? Any of their mail scheduled later than the send time shown would be sent. [y/N] `;
  if (!(await confirmed(o, io, question))) {
    io.err("not confirmed: nothing cleared (use --yes in scripts)");
    return 1;
  }
  for (const r of clearable) {
    await client.clearStatus(r.batchId);
    io.out(`cleared ${r.batchId}`);
  }
  io.out(`freed ${clearable.length} slot(s)`);
  return 0;
}

const EVERY_STACK =
  "Every stack that uses this SendGrid account must be given with --state (and batches made outside Pulumi with --keep): a batch recorded only elsewhere looks like an orphan here.";

async function orphans(client: SendGridBatchClient, o: Options, states: StateExport[], io: Io): Promise<number> {
  const entries = await client.listStatuses();
  const { recorded, orphans: found } = findOrphans(entries, states, o.keep);
  const pending = states.flatMap(pendingOperations);

  io.out(`${entries.length} of ${LIMIT} slots used: ${recorded.length} recorded in the given stacks or kept, ${found.length} orphan(s)`);
  for (const e of found) io.out(`orphan  ${e.batch_id}  ${statusName(e)}`);
  if (pending.length) {
    io.out(`${pending.length} pending operation(s) in the given stacks (an interrupted or still running \`pulumi up\`):`);
    for (const p of pending) io.out(`pending  ${p.type}  ${p.urn}${p.id ? `  id ${p.id}` : ""}  (${p.file})`);
  }
  io.out(EVERY_STACK);
  if (!o.clear) {
    if (found.length) io.out("Run again with --clear to free the orphans' slots.");
    return 0;
  }
  if (found.length === 0) {
    io.out("nothing to clear");
    return 0;
  }
  if (pending.length) {
    // A pending create is also what a *running* `up` shows between minting a batch and recording
    // it: clearing that batch would let its mail go out once the run records it as paused.
    io.err(
      "error: not clearing while a given stack has pending operations: make sure no `pulumi up` is running on it, " +
        "then `pulumi cancel` (if the stack is still locked), `pulumi refresh --clear-pending-creates --yes`, and export it again",
    );
    return 1;
  }
  if (!(await confirmed(o, io, `Delete the status of ${found.length} orphan batch(es) no given stack records? [y/N] `))) {
    io.err("not confirmed: nothing cleared (use --yes in scripts)");
    return 1;
  }

  // Why DELETE and not cancel-then-DELETE: DELETE is the only call that frees a slot, and once a
  // status is gone SendGrid sends the batch's mail whatever the status was, so a PATCH to cancel
  // first ends in the same place. It adds a request per batch, and a run stopped between the two
  // would leave the batch cancelled (mail discarded, slot still held) instead of untouched. The
  // safety lies in the choice of ids (none recorded, none kept, none in a pending operation),
  // re-checked on a fresh list right before deleting.
  const again = findOrphans(await client.listStatuses(), states, o.keep).orphans;
  const stillOrphans = found.filter((f) => again.some((a) => a.batch_id === f.batch_id));
  let failures = 0;
  for (const e of stillOrphans) {
    try {
      await client.clearStatus(e.batch_id);
      io.out(`cleared ${e.batch_id} (was ${statusName(e)})`);
    } catch (err) {
      if (err instanceof SendGridError && err.code === "BATCH_NOT_FOUND") {
        io.out(`${e.batch_id}: already has no status`);
        continue;
      }
      failures++;
      io.err(`error: ${e.batch_id}: ${describeError(err)}`);
    }
  }
  const now = await client.listStatuses();
  io.out(`freed ${stillOrphans.length - failures} slot(s); ${now.length} of ${LIMIT} slots used`);
  return failures ? 1 : 0;
}

if (require.main === module) {
  const confirm = process.stdin.isTTY
    ? async (q: string) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(q);
        rl.close();
        return /^y(es)?$/i.test(answer.trim());
      }
    : undefined;
  main(process.argv.slice(2), { out: (s) => console.log(s), err: (s) => console.error(s), confirm }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // main catches what it expects; anything else is a bug, reported without a stack trace.
      console.error(`error: ${describeError(err)}`);
      process.exitCode = 1;
    },
  );
}
