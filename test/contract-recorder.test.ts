// The live contract suite (scripts/live) run against the emulator: the whole transition table
// through the core, a recording without keys or ids, clean-up after success, after a failure
// half-way and from the journal, and a guard that keeps it off mail and off other batches.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_EMULATOR_API_KEY, type EmulatorAdmin } from "../emulator";
import { accountFingerprint, Journal } from "../scripts/live/journal";
import { startRecorder } from "../scripts/live/recorder";
import { MALFORMED_ID, Placeholders, type Recording } from "../scripts/live/recording";
import { contractDifferences, unknownBatchId } from "../scripts/live/replay";
import { type LiveOptions, optionsFromEnv, runLive } from "../scripts/live/run";
import { SLOTS_NEEDED } from "../scripts/live/table";
import { createBatch, setStatus } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const ROOT = path.join(__dirname, "..");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "contract-recorder-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(extra: Partial<LiveOptions> = {}): LiveOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    apiKey: DEFAULT_EMULATOR_API_KEY,
    region: "global",
    apiUrl: sg.emulator.url,
    outDir: dir,
    journalFile: path.join(dir, "journal.json"),
    cleanUpOnly: false,
    log: (line) => lines.push(line),
    lines,
    ...extra,
  };
}

/** Batches of the emulator that hold a slot (paused or cancelled). */
async function held(a: EmulatorAdmin): Promise<string[]> {
  return (await a.batches()).filter((b) => b.status !== "active").map((b) => b.batch_id);
}

const TABLE = [
  "create active",
  "read active (no status)",
  "active → paused",
  "read paused",
  "POST a status over a status",
  "PATCH to the same status (pause)",
  "paused → cancelled",
  "read cancelled",
  "PATCH to the same status (cancel)",
  "cancelled → paused",
  "paused → active",
  "active → cancelled",
  "cancelled → active",
  "PATCH without a status",
  "DELETE without a status",
  "create paused",
  "create cancelled",
  "list",
  "adopt a paused batch as paused",
  "adopt a paused batch as cancelled",
  "adopt an active batch as paused",
  "cancel an already-cancelled batch",
  "cancel a paused batch",
  "create active (to cancel)",
  "cancel an active batch",
  "cancel an id no account has",
  "malformed id: validate",
  "malformed id: read",
  "malformed id: POST status",
  "malformed id: PATCH",
  "malformed id: DELETE",
];

test("the whole table runs through the core, is recorded without key or ids, and leaves 0 slots held", async () => {
  const opts = options();
  const result = await runLive(opts);
  expect(opts.lines.join("\n")).toContain("Slots held by batches of this run: 0");
  expect(result).toMatchObject({ exitCode: 0, held: 0 });
  expect(result.rows.map((r) => r.step)).toEqual(TABLE);
  expect(result.rows.filter((r) => !r.ok)).toEqual([]);
  expect(result.differences).toEqual([]);

  const text = readFileSync(result.recordingFile as string, "utf8");
  const recording = JSON.parse(text) as Recording;
  expect(path.basename(result.recordingFile as string)).toMatch(/^\d{4}-\d{2}-\d{2}\.emulator\.json$/);
  expect(recording).toMatchObject({ format: 1, madeAgainst: "emulator", emulator: {} });
  expect(recording.note).toMatch(/against the local emulator/);
  expect(recording.notExercised.map((n) => n.case)).toContain("lateChange");
  expect(new Set(recording.exchanges.map((e) => e.step))).toEqual(new Set(["quota check", ...TABLE, "clean-up", "verify: no slot held"]));
  expect(recording.exchanges.filter((e) => e.case).map((e) => `${e.case} ${e.method}`)).toEqual([
    "readWithoutStatus GET",
    "samePatch PATCH",
    "samePatch PATCH",
    "malformedId.validate GET",
    "malformedId.read GET",
    "malformedId.create POST",
    "malformedId.update PATCH",
    "malformedId.delete DELETE",
  ]);

  // Ids and the key never reach the file; placeholders do.
  const batches = await sg.admin.batches();
  expect(batches).toHaveLength(4);
  for (const b of batches) expect(text).not.toContain(b.batch_id);
  expect(text).not.toContain(DEFAULT_EMULATOR_API_KEY);
  expect(text).not.toContain(MALFORMED_ID);
  expect(text).toContain("/v3/user/scheduled_sends/{batch:1}");

  // No mail, nothing held, nothing left in the journal.
  const log = await sg.admin.requests();
  expect(log.filter((r) => r.route === "/v3/mail/send")).toEqual([]);
  expect(log.length).toBe(recording.exchanges.length);
  expect(await held(sg.admin)).toEqual([]);
  expect(new Journal(path.join(dir, "journal.json")).read()).toEqual([]);
});

test("a target that answers undocumented cases otherwise: the table shows where, and the recording carries the switches that match", async () => {
  // Stand-in for a SendGrid that refuses PATCH to the same status and 404s single reads without status.
  const samePatch = { status: 400, body: { errors: [{ field: "status", message: "status is already pause" }] } };
  await sg.admin.configure({ singleReadWithoutStatus: "404", undocumented: { samePatch } });
  const opts = options();
  const result = await runLive(opts);
  expect(result).toMatchObject({ exitCode: 0, held: 0 });
  expect(new Set(contractDifferences(result.differences).map((d) => d.case ?? d.route))).toEqual(
    new Set(["readWithoutStatus", "samePatch", "malformedId.read", "/v3/user/scheduled_sends/{batch_id}"]),
  );
  const text = opts.lines.join("\n");
  expect(text).toMatch(/PATCH to the same status \(pause\) +\| PATCH \/v3\/user\/scheduled_sends\/\{batch_id\} \| status/);
  expect(text).toContain("Emulator settings that match this recording");
  expect(text).not.toContain("they need a change to the emulator");
  const recording = JSON.parse(readFileSync(result.recordingFile as string, "utf8")) as Recording;
  expect(recording.emulator).toEqual({
    singleReadWithoutStatus: "404",
    undocumented: { samePatch, "malformedId.read": { status: 404, body: { errors: [{ field: null, message: "batch id not found" }] } } },
  });
});

test("on behalf of a subuser: the batches are the subuser's, and neither the key nor the subuser's name is recorded, even when echoed", async () => {
  const echo = { errors: [{ field: null, message: `no ${DEFAULT_EMULATOR_API_KEY} for subuser-a here` }] };
  await sg.admin.configure({ undocumented: { "malformedId.read": { status: 400, body: echo } } });
  const result = await runLive(options({ onBehalfOf: "subuser-a" }));
  expect(result).toMatchObject({ exitCode: 0, held: 0 });
  const batches = await sg.admin.batches();
  expect(batches.map((b) => b.onBehalfOf)).toEqual(["subuser-a", "subuser-a", "subuser-a", "subuser-a"]);
  const text = readFileSync(result.recordingFile as string, "utf8");
  expect(text).not.toContain(DEFAULT_EMULATOR_API_KEY);
  expect(text).not.toContain("subuser-a");
  expect(text).toContain("no {api-key} for {on-behalf-of} here");
  expect((JSON.parse(text) as Recording).onBehalfOf).toBe(true);
});

test("a run that fails half-way still frees every slot it took, and writes no recording", async () => {
  // The account allows 2 statuses: the third (adopting batch a as paused) hits max limit reached.
  await sg.admin.configure({ maxPausedOrCancelled: 2 });
  const opts = options();
  const result = await runLive(opts);
  expect(result).toMatchObject({ exitCode: 1, held: 0 });
  expect(result.recordingFile).toBeUndefined();
  expect(result.rows.at(-1)).toMatchObject({ step: "adopt an active batch as paused", ok: false });
  expect(opts.lines.join("\n")).toMatch(/The table did not complete: adopt an active batch as paused: .*max limit reached/);
  expect(await held(sg.admin)).toEqual([]);
  expect(new Journal(path.join(dir, "journal.json")).read()).toEqual([]);
});

test("another batch of the account is never touched, and counts against the free slots it needs", async () => {
  const theirs = await createBatch(sg.emulator);
  await setStatus(sg.emulator, theirs, "pause");
  await sg.admin.clearRequests();
  expect((await runLive(options())).exitCode).toBe(0);
  expect(await held(sg.admin)).toEqual([theirs]);
  const touched = (await sg.admin.requests()).filter((r) => r.path.includes(theirs) || JSON.stringify(r.body).includes(theirs));
  expect(touched).toEqual([]);

  // With too few free slots it runs nothing.
  await sg.admin.reset();
  for (let i = 0; i < 10 - SLOTS_NEEDED + 1; i++) await setStatus(sg.emulator, await createBatch(sg.emulator), "pause");
  await sg.admin.clearRequests();
  const opts = options();
  expect((await runLive(opts)).exitCode).toBe(1);
  expect(opts.lines.join("\n")).toContain(`The account holds 7 of its 10 paused/cancelled slots; the table needs ${SLOTS_NEEDED} free`);
  expect((await sg.admin.requests()).filter((r) => r.method !== "GET")).toEqual([]);
});

test("the recorder refuses Mail Send and writes to batches the run did not create", async () => {
  const theirs = await createBatch(sg.emulator);
  const recorder = await startRecorder({ target: sg.emulator.url, ids: new Placeholders(unknownBatchId()), onCreated: () => {} });
  try {
    const auth = { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`, "Content-Type": "application/json" };
    const send = await fetch(`${recorder.url}/v3/mail/send`, { method: "POST", headers: auth, body: "{}" });
    const post = await fetch(`${recorder.url}/v3/user/scheduled_sends`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ batch_id: theirs, status: "pause" }),
    });
    const del = await fetch(`${recorder.url}/v3/user/scheduled_sends/${theirs}`, { method: "DELETE", headers: auth });
    const read = await fetch(`${recorder.url}/v3/mail/batch/${theirs}`, { headers: auth });
    expect([send.status, post.status, del.status, read.status]).toEqual([403, 403, 403, 403]);
    expect(recorder.refused).toEqual([
      "the live suite never calls Mail Send",
      "POST /v3/user/scheduled_sends for a batch this run did not create",
      "DELETE /v3/user/scheduled_sends/{batch_id} on a batch this run did not create",
      "GET /v3/mail/batch/{batch_id} on a batch this run did not create",
    ]);
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toHaveLength(1); // the createBatch above
  } finally {
    await recorder.close();
  }
});

test("--clean-up frees the slots of journaled batches of this account, and nothing else", async () => {
  // What a run killed half-way leaves: journaled batches still paused or cancelled.
  const journalFile = path.join(dir, "journal.json");
  const left = [await createBatch(sg.emulator), await createBatch(sg.emulator)];
  await setStatus(sg.emulator, left[0], "pause");
  await setStatus(sg.emulator, left[1], "cancel");
  const notMine = await createBatch(sg.emulator);
  await setStatus(sg.emulator, notMine, "pause");
  const account = accountFingerprint(new URL(sg.emulator.url).origin, DEFAULT_EMULATOR_API_KEY, undefined);
  const otherAccount = accountFingerprint(new URL(sg.emulator.url).origin, "SG.another-key", undefined);
  const journal = new Journal(journalFile);
  for (const id of left) journal.add({ id, account, createdAt: new Date().toISOString() });
  journal.add({ id: notMine, account: otherAccount, createdAt: new Date().toISOString() });

  const opts = options({ cleanUpOnly: true, journalFile });
  expect(await runLive(opts)).toMatchObject({ exitCode: 0, held: 0 });
  expect(opts.lines.join("\n")).toContain("1 journaled id(s) belong to another key, target or on-behalf-of");
  expect(await held(sg.admin)).toEqual([notMine]);
  expect(journal.read().map((e) => e.id)).toEqual([notMine]);
  expect((await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(
    left.map((id) => `/v3/user/scheduled_sends/${id}`),
  );
});

describe("npm run test:live (the compiled runner)", () => {
  const runner = path.join(ROOT, "dist", "scripts", "live", "run.js");

  function start(env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
    if (!existsSync(runner)) throw new Error(`${runner} is missing: run \`npm run build\` first`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SENDGRID_LIVE_")));
    const child = spawn(process.execPath, [runner], { cwd: ROOT, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    return { child, done: new Promise((resolve) => child.on("exit", (code) => resolve({ code, out }))) };
  }
  const run = (env: Record<string, string>) => start(env).done;
  const liveEnv = () => ({
    SENDGRID_LIVE_API_KEY: DEFAULT_EMULATOR_API_KEY,
    SENDGRID_LIVE_API_URL: sg.emulator.url,
    SENDGRID_LIVE_JOURNAL: path.join(dir, "journal.json"),
    SENDGRID_LIVE_OUT: dir,
  });

  test("without SENDGRID_LIVE_API_KEY it says what it needs and exits 0 without running", async () => {
    const { code, out } = await run({});
    expect(code).toBe(0);
    expect(out).toContain("SENDGRID_LIVE_API_KEY is not set: nothing was run.");
    expect(out).not.toMatch(/Slots held|Recording:/);
    expect(await sg.admin.requests()).toEqual([]);
    expect(optionsFromEnv({ SENDGRID_LIVE_API_KEY: " " }, [])).toHaveProperty("skip");
  });

  test("with a key pointed at the emulator it completes the table and leaves 0 slots held", async () => {
    const { code, out } = await run(liveEnv());
    expect(out).toContain("Slots held by batches of this run: 0 (4 batches made");
    expect(out).toContain("The target and the emulator agree on every exchange's status, body shape and messages.");
    expect(out).not.toContain("FAIL");
    expect(code).toBe(0);
    expect(await held(sg.admin)).toEqual([]);
    expect(readFileSync(path.join(dir, "journal.json"), "utf8").trim()).toBe("[]");
  });

  test("Ctrl-C half-way stops the table, frees every slot the run took and exits 1", async () => {
    const { child, done } = start(liveEnv());
    let finished = false;
    void done.then(() => (finished = true));
    // Interrupt while the run holds two slots (batches b and c exist from "create cancelled" on).
    while (!finished && (await held(sg.admin)).length < 2);
    child.kill("SIGINT");
    const { code, out } = await done;
    expect(out).toContain("interrupted, cleaning up");
    expect(out).toMatch(/The table did not complete: interrupted/);
    expect(out).toContain("Slots held by batches of this run: 0");
    expect(code).toBe(1);
    expect(await held(sg.admin)).toEqual([]);
    expect(readFileSync(path.join(dir, "journal.json"), "utf8").trim()).toBe("[]");
  });

  test("a bad setting is refused with exit 2", async () => {
    const { code, out } = await run({ SENDGRID_LIVE_API_KEY: "SG.x", SENDGRID_LIVE_REGION: "mars" });
    expect(code).toBe(2);
    expect(out).toContain('SENDGRID_LIVE_REGION must be global or eu, got "mars"');
  });
});
