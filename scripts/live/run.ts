// `npm run test:live`: the transition table against the real SendGrid API (or any SendGrid-shaped
// origin), recorded, compared with the emulator, and cleaned up. Runs only with SENDGRID_LIVE_API_KEY.
// `npm run test:live -- --clean-up` frees what an interrupted run left holding a slot.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { SENDGRID_HOSTS, SENDGRID_LIMITS, SendGridBatchClient, SendGridError, apiUrlProblem, isLoopbackHost } from "../../core";
import { DEFAULT_EMULATOR_API_KEY, DEFAULT_SUBUSERS, startEmulator } from "../../emulator";
import { REPO_ROOT } from "../lib/repoRoot";
import { Journal, accountFingerprint, journalPath } from "./journal";
import { startRecorder, type Recorder } from "./recorder";
import { type Exchange, Placeholders, type Recording } from "./recording";
import { contractDifferences, differenceTable, replay, settingsFor, unknownBatchId, type Difference } from "./replay";
import { NOT_EXERCISED, SLOTS_NEEDED, runTable, type Row } from "./table";

export const RECORDED_DIR = path.join(REPO_ROOT, "test", "fixtures", "sendgrid", "recorded");

export const NEEDS = `npm run test:live needs SENDGRID_LIVE_API_KEY: a SendGrid API key with the mail.batch.* and
user.scheduled_sends.* scopes (it never needs mail.send). Optional: SENDGRID_LIVE_ON_BEHALF_OF (a subuser,
or "account-id <id>"), SENDGRID_LIVE_REGION (global|eu), SENDGRID_LIVE_API_URL (another origin, e.g. an
emulator), SENDGRID_LIVE_JOURNAL (the journal file). It sends no mail, touches only batches it creates,
and leaves none of them paused or cancelled.`;

export interface LiveOptions {
  apiKey: string;
  onBehalfOf?: string;
  region: "global" | "eu";
  apiUrl?: string;
  /** Directory the recording is written to. */
  outDir: string;
  journalFile: string;
  cleanUpOnly: boolean;
  log: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: the table stops before its next row and the clean-up still runs. */
  signal?: AbortSignal;
}

export interface LiveResult {
  exitCode: number;
  recordingFile?: string;
  /** Batches this run (or, with --clean-up, the journal) still holds paused or cancelled at the end. */
  held: number;
  rows: Row[];
  differences: Difference[];
}

/** Options from the environment and arguments, or the text to print when the key is missing. */
export function optionsFromEnv(env: NodeJS.ProcessEnv, argv: string[]): LiveOptions | { skip: string } | { usage: string } {
  const { values } = parseArgs({
    args: argv,
    options: { "clean-up": { type: "boolean" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) return { usage: `${NEEDS}\n\nUsage: npm run test:live [-- --clean-up] [-- --out DIR]` };
  const apiKey = env.SENDGRID_LIVE_API_KEY?.trim();
  if (!apiKey) return { skip: `${NEEDS}\n\nSENDGRID_LIVE_API_KEY is not set: nothing was run.` };
  const region = env.SENDGRID_LIVE_REGION?.trim() || "global";
  if (region !== "global" && region !== "eu") throw new Error(`SENDGRID_LIVE_REGION must be global or eu, got ${JSON.stringify(region)}`);
  const apiUrl = env.SENDGRID_LIVE_API_URL?.trim() || undefined;
  const problem = apiUrl ? apiUrlProblem(apiUrl) : undefined;
  if (problem) throw new Error(`SENDGRID_LIVE_API_URL: ${problem}`);
  return {
    apiKey,
    onBehalfOf: env.SENDGRID_LIVE_ON_BEHALF_OF?.trim() || undefined,
    region,
    apiUrl,
    outDir: values.out ?? env.SENDGRID_LIVE_OUT ?? RECORDED_DIR,
    journalFile: journalPath(env),
    cleanUpOnly: values["clean-up"] ?? false,
    log: (line) => process.stdout.write(`${line}\n`),
  };
}

function targetOf(opts: LiveOptions): string {
  return new URL(opts.apiUrl ?? SENDGRID_HOSTS[opts.region]).origin;
}

function clientVia(recorder: Recorder, opts: LiveOptions): SendGridBatchClient {
  // The table runs one step at a time, so nothing it does frees a slot meanwhile: record SendGrid's
  // "max limit reached" as it comes instead of waiting for a slot (the core's default for parallel runs).
  return new SendGridBatchClient(
    { apiKey: opts.apiKey, onBehalfOf: opts.onBehalfOf, apiUrl: recorder.url },
    { retry: { maxAttempts: 3, maxQuotaWaitMs: 0 } },
  );
}

/** Clears the status of every listed batch among `own` (they carry no mail, so nothing is released); returns how many stay held. */
async function freeSlots(
  client: SendGridBatchClient,
  recorder: Recorder,
  own: ReadonlySet<string>,
  log: LiveOptions["log"],
): Promise<number> {
  recorder.step("clean-up");
  for (const entry of await client.listStatuses()) {
    if (!own.has(entry.batch_id)) continue;
    try {
      await client.clearStatus(entry.batch_id);
    } catch (err) {
      if (!(err instanceof SendGridError && err.code === "BATCH_NOT_FOUND")) log(`clean-up: ${(err as Error).message}`);
    }
  }
  recorder.step("verify: no slot held");
  return (await client.listStatuses()).filter((e) => own.has(e.batch_id)).length;
}

async function cleanUp(opts: LiveOptions): Promise<LiveResult> {
  const target = targetOf(opts);
  const journal = new Journal(opts.journalFile);
  const account = accountFingerprint(target, opts.apiKey, opts.onBehalfOf);
  const entries = journal.read();
  const mine = entries.filter((e) => e.account === account).map((e) => e.id);
  const others = entries.length - mine.length;
  if (others) opts.log(`${others} journaled id(s) belong to another key, target or on-behalf-of: run --clean-up with those settings.`);
  if (mine.length === 0) {
    opts.log(`The journal (${opts.journalFile}) holds no batch of this account: nothing to clean up.`);
    return { exitCode: 0, held: 0, rows: [], differences: [] };
  }
  const recorder = await startRecorder({ target, ids: new Placeholders(unknownBatchId()), onCreated: () => {}, alsoOwned: mine });
  try {
    const held = await freeSlots(clientVia(recorder, opts), recorder, new Set(mine), opts.log);
    if (held === 0) journal.remove(mine);
    opts.log(`--clean-up: ${mine.length} journaled batch(es) checked, ${held} still paused or cancelled.`);
    return { exitCode: held === 0 && recorder.refused.length === 0 ? 0 : 1, held, rows: [], differences: [] };
  } finally {
    await recorder.close();
  }
}

/** Replays the recording against an in-process emulator: with its defaults, then with the settings that match. */
async function compareWithEmulator(
  recording: Recording,
): Promise<{ differences: Difference[]; settings: Recording["emulator"]; remaining: Difference[] }> {
  const against = async (settings: Recording["emulator"]) => {
    const emulator = await startEmulator(settings);
    try {
      return await replay(recording, { url: emulator.url, apiKey: DEFAULT_EMULATOR_API_KEY, onBehalfOf: DEFAULT_SUBUSERS[0] });
    } finally {
      await emulator.close();
    }
  };
  const differences = await against({});
  const settings = settingsFor(recording, differences);
  const remaining = Object.keys(settings).length ? contractDifferences(await against(settings)) : contractDifferences(differences);
  return { differences, settings, remaining };
}

export async function runLive(opts: LiveOptions): Promise<LiveResult> {
  if (opts.cleanUpOnly) return cleanUp(opts);
  const target = targetOf(opts);
  const journal = new Journal(opts.journalFile);
  const account = accountFingerprint(target, opts.apiKey, opts.onBehalfOf);
  const created: string[] = [];
  const unknownId = unknownBatchId();
  const ids = new Placeholders(unknownId);
  const recorder = await startRecorder({
    target,
    ids,
    onCreated: (id) => {
      journal.add({ id, account, createdAt: new Date().toISOString() });
      created.push(id);
    },
  });
  const client = clientVia(recorder, opts);
  const rows: Row[] = [];
  let failure: unknown;
  let held = 0;
  try {
    recorder.step("quota check");
    const taken = (await client.listStatuses()).length;
    if (SENDGRID_LIMITS.maxPausedOrCancelled - taken < SLOTS_NEEDED) {
      opts.log(
        `The account holds ${taken} of its ${SENDGRID_LIMITS.maxPausedOrCancelled} paused/cancelled slots; the table needs ${SLOTS_NEEDED} free. Nothing was run.`,
      );
      return { exitCode: 1, held: 0, rows, differences: [] };
    }
    const step = (label: string, which?: Exchange["case"]) => {
      if (opts.signal?.aborted) throw new Error("interrupted");
      recorder.step(label, which);
    };
    await runTable({ client, step, unknownId }, rows);
  } catch (err) {
    failure = err;
  } finally {
    // Also after a failure half-way: every batch this run made goes back to no status.
    try {
      held = await freeSlots(client, recorder, new Set(created), opts.log);
      if (held === 0) journal.remove(created);
    } catch (err) {
      held = -1;
      opts.log(`clean-up failed: ${(err as Error).message}`);
    }
    await recorder.close();
  }

  opts.log(rows.map((r) => `${r.ok ? "ok  " : "FAIL"} ${r.step.padEnd(36)} ${ids.hide(r.outcome)}`).join("\n"));
  for (const why of recorder.refused) opts.log(`REFUSED ${why}`);
  if (held !== 0) {
    opts.log(
      `${held < 0 ? "Some" : held} batch(es) made by this run may still hold a slot: run \`npm run test:live -- --clean-up\` with the same settings.`,
    );
  } else {
    opts.log(`Slots held by batches of this run: 0 (${created.length} batches made, none left paused or cancelled).`);
  }
  if (failure !== undefined || recorder.refused.length > 0) {
    opts.log(`The table did not complete: ${failure instanceof Error ? failure.message : "a request was refused"}. No recording written.`);
    return { exitCode: 1, held, rows, differences: [] };
  }

  const recording: Recording = {
    format: 1,
    madeAgainst: isLoopbackHost(new URL(target).hostname) ? "emulator" : "sendgrid",
    recordedAt: new Date().toISOString(),
    region: opts.region,
    onBehalfOf: opts.onBehalfOf !== undefined,
    note: "",
    notExercised: NOT_EXERCISED,
    emulator: {},
    exchanges: recorder.exchanges,
  };
  recording.note =
    recording.madeAgainst === "emulator"
      ? "Made against the local emulator by the live recorder (scripts/live), not against SendGrid: it exercises the recorder and the replay test until a real recording exists."
      : "Recorded against the SendGrid API by npm run test:live. Ids are placeholders; list answers keep only this run's batches.";
  const { differences, settings, remaining } = await compareWithEmulator(recording);
  recording.emulator = settings;
  const name = recording.madeAgainst === "sendgrid" ? "SendGrid" : "The target";
  opts.log(`\n${name} (recorded) against the emulator (with its defaults):`);
  opts.log(differenceTable(differences, name));
  if (Object.keys(settings).length) opts.log(`Emulator settings that match this recording: ${JSON.stringify(settings)}`);
  if (remaining.length) {
    opts.log(`With those settings these differences remain; they need a change to the emulator:\n${differenceTable(remaining, name)}`);
  }

  mkdirSync(opts.outDir, { recursive: true });
  const date = recording.recordedAt.slice(0, 10);
  const file = path.join(opts.outDir, `${date}${recording.madeAgainst === "emulator" ? ".emulator" : ""}.json`);
  writeFileSync(file, `${JSON.stringify(recording, null, 2)}\n`);
  const shown = path.relative(process.cwd(), file);
  opts.log(`Recording: ${shown.startsWith("..") ? file : shown} (${recording.exchanges.length} exchanges)`);
  return { exitCode: 0, recordingFile: file, held, rows, differences };
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof optionsFromEnv>;
  try {
    opts = optionsFromEnv(process.env, process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if ("skip" in opts || "usage" in opts) {
    process.stdout.write(`${"skip" in opts ? opts.skip : opts.usage}\n`);
    return;
  }
  // First Ctrl-C (or SIGTERM): finish the current request, skip the rest, clean up. Second: exit now
  // (then `--clean-up` frees what the journal lists).
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    process.stderr.write("test:live: interrupted, cleaning up (press again to exit at once)\n");
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.exitCode = (await runLive({ ...opts, signal: interrupt.signal })).exitCode;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`test:live: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
