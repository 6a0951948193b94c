#!/usr/bin/env node
// sendgrid-batches: look at an account's paused/cancelled batches and free quota slots safely.
//
// SendGrid allows 10 batches paused or cancelled at once, and a cancelled batch keeps its slot
// until its status is DELETEd, even after its mail was discarded at send_at. But DELETE on a
// cancelled batch whose send_at is still ahead would *release* its mail, and SendGrid's API does
// not tell a batch's send_at. So `clear-cancelled` clears a cancelled batch only when its send
// time is known (from a Pulumi stack export or an explicit --sent) and has passed; paused batches
// are never touched. `orphans` frees only the slots of batches the journal proves reached no
// program (see ./orphans.ts).

import * as readline from "node:readline/promises";
import {
  apiKeyProblem,
  clientFor,
  describeError,
  nowSeconds,
  type ClientHints,
  type SendGridBatchClient,
  type ScheduledSendStatus,
} from "../core";
import { parseCommandLine, type Options } from "./args";
import { SLOT_LIMIT, confirmed, statusName, type Io } from "./io";
import { orphansCommand } from "./orphans";
import { describeClaims, gatherClaims, sendTimeOf, type SendTimeClaims } from "./sendTimes";
import { readStateExport, sendTimesFromState, type StateExport } from "./stateExport";

export { sendTimesFromState } from "./stateExport";
export type { Io } from "./io";

export const USAGE = `Usage:
  sendgrid-batches list            [connection options] [--state FILE ...] [--sent ID=TIME ...] [--margin SECONDS]
  sendgrid-batches clear-cancelled [connection options] [--state FILE ...] [--sent ID=TIME ...] [--margin SECONDS] [--yes] [--dry-run]
  sendgrid-batches orphans         [connection options] --state FILE [--state FILE ...] [--journal FILE] [--keep ID ...] [--clear [--yes]]

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

orphans lists the account's paused/cancelled batches and says what each is: recorded in a given
stack export, kept (--keep), ours (the batch journal shows a run minted it and ended without handing
it to Pulumi, so its id reached no program), or unknown. --clear frees the slots of the batches
marked ours only (DELETE of their status), after confirmation (--yes in scripts). It never touches
any other batch: a stack's old batch (destroyed, replaced, state-deleted, retained) or one made
outside Pulumi is absent from every export too, and clearing it would send its mail. --clear needs
--state, refuses when an export's batches are in another account than the one queried, and while a
run may still be going (pending operations in an export, or a journaled run still alive). After an
interrupted run, drop its pending creates first (\`pulumi refresh --clear-pending-creates\`): no
create takes a stranded batch back, --clear frees its slot.
  --journal FILE       the providers' batch journal (default: $SENDGRID_BATCH_JOURNAL, else
                       .sendgrid-batches/journal.jsonl here)

Exit status: 0 done, 1 failed or not confirmed, 2 bad command line or unreadable --state file.`;

// Where this command's key and settings come from, said once: the key only from the environment,
// the account from the connection options; a failed request is simply run again (no state to heal).
const SET_KEY = "set the SENDGRID_API_KEY environment variable to the account's API key";
const CLI_HINTS: ClientHints = {
  AUTH_REJECTED:
    "The API key was rejected (mistyped, revoked or deleted, or not a key of this region): set SENDGRID_API_KEY to an active key",
  NETWORK: "Check --api-url/--region and the network, then run the command again",
  TIMEOUT:
    "SendGrid did not answer in time (check status.sendgrid.com); the request may still have been applied: run `sendgrid-batches list` to see what SendGrid holds, then run the command again",
  NOT_SENDGRID:
    'Check --api-url/--region: --api-url must be the origin of SendGrid\'s API (e.g. "https://api.sendgrid.com"), or leave it out and give --region',
};

export interface Row {
  batchId: string;
  status: "paused" | "cancelled";
  sendAt?: number;
  clearable: boolean;
  why: string;
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
    io.err(`error: ${keyProblem?.reason ?? "no SendGrid API key"}: ${SET_KEY}`);
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
    const client = clientFor({ apiKey, apiUrl: o.apiUrl, region: o.region, onBehalfOf: o.onBehalfOf }, { hints: CLI_HINTS });
    if (o.command === "orphans") return await orphansCommand(client, o, states, io);
    return await listOrClearCancelled(client, o, states, io);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 1;
  }
}

/** Said with every clear (prompt, --dry-run, --yes): what the command cannot know. */
const LATER_MAIL =
  "Clearing a cancelled batch's status sends any of its mail scheduled later than the send time shown: SendGrid does not report a batch's send times, only --state and --sent tell them.";

/**
 * The time a send time is judged against: the earlier of this machine's clock and SendGrid's (the
 * Date of its answer), so a machine clock running ahead never makes a batch look older than it is
 * at SendGrid, where its mail is sent. Without SendGrid's Date, this machine's clock, said so.
 */
function decidingNow(client: SendGridBatchClient, io: Io): number {
  const local = nowSeconds();
  const sendGrid = client.serverNowSeconds();
  if (sendGrid === undefined) {
    io.err("note: SendGrid's answer carried no Date header: send times are judged by the local clock only");
    return local;
  }
  return Math.min(local, sendGrid);
}

async function listOrClearCancelled(client: SendGridBatchClient, o: Options, states: StateExport[], io: Io): Promise<number> {
  const claims = gatherClaims(
    states.map((s) => ({ file: s.file, sendTimes: sendTimesFromState(s.doc) })),
    o.sent,
  );
  const entries = await client.listStatuses();
  const rows = classify(entries, claims, decidingNow(client, io), o.marginSeconds, o.trustSent);
  io.out(rows.length ? table(rows) : "no paused or cancelled batches");
  io.out(`${rows.length} of ${SLOT_LIMIT} slots used`);
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
  // The answer may come minutes after the list: right before deleting, the account's list is read
  // again, and only a batch still cancelled and still past its send time (by the clock now) is
  // cleared. A batch paused or resumed meanwhile is left alone: DELETE on a paused batch releases
  // its mail. (SendGrid has no conditional DELETE: a change landing between this read and the
  // DELETE, one round trip, is not seen.)
  const again = classify(await client.listStatuses(), claims, decidingNow(client, io), o.marginSeconds, o.trustSent);
  const still = clearable.filter((r) => again.some((a) => a.batchId === r.batchId && a.clearable));
  for (const r of clearable) if (!still.includes(r)) io.out(`${r.batchId}: changed since it was listed; not touched`);
  for (const r of still) {
    await client.clearStatus(r.batchId);
    io.out(`cleared ${r.batchId}`);
  }
  io.out(`freed ${still.length} slot(s)`);
  return 0;
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
