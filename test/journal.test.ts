// The provenance journal (core/journal.ts) as the providers use it: a real file, real processes and
// the emulator over HTTP. What it proves decides whether `orphans --clear` may clear a batch, and no
// create takes one over, so each rule that keeps a batch out of reach is pinned here.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, SendGridBatchClient, createBatch, provision } from "../core";
import { BatchResource } from "../plugin/resource";
import * as rt from "../provider/runtime";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { journalLine, killedRunEntry, readJournal } from "./support/journalLines";

const sg = useEmulator();
let client: SendGridBatchClient;
let file: string;
beforeAll(() => {
  process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
});
beforeEach(async () => {
  await sg.admin.reset();
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-journal-")), "journal.jsonl");
});

/** The resource a killed run's create was for (the plugin names its URN). */
const R = "urn:pulumi:dev::shop::sendgrid-batch:index:ScheduledBatch::orders";

/** A line as a killed run on a CI runner left it (with this account's key): minted, never handed. */
function mintedByKilledRun(batchId: string, resource?: string): string {
  return journalLine(killedRunEntry(batchId, client.accountKey, resource), client.journalKey);
}

test("a line cut short by a crash is skipped, and the lines appended after it are read", async () => {
  const a = (await createBatch(client, "paused")).batchId;
  const b = (await createBatch(client, "paused")).batchId;
  fs.writeFileSync(file, `${mintedByKilledRun(a)}\n{"event":"minted","batchId":"tor`);
  const journal = new Journal(file);
  expect(journal.unsettled(client.accountKey, client.journalKey).map((m) => m.minted.batchId)).toEqual([a]);
  fs.appendFileSync(file, mintedByKilledRun(b));
  expect(journal.unsettled(client.accountKey, client.journalKey).map((m) => m.minted.batchId)).toEqual([a, b]);
});

test("an id handed to the engine, minted by a running process, or of another account is never proof", async () => {
  const journal = new Journal(file);
  const handed = (await createBatch(client, "paused")).batchId;
  journal.append("minted", handed, client.journalKey, { account: client.accountKey, resource: R });
  journal.append("handed", handed, client.journalKey);
  const live = (await createBatch(client, "paused")).batchId;
  journal.append("minted", live, client.journalKey, { account: client.accountKey, resource: R }); // this process: still running
  const other = (await createBatch(client, "paused")).batchId;
  fs.appendFileSync(file, journalLine(killedRunEntry(other, "https://api.eu.sendgrid.com|", R), client.journalKey));
  expect(journal.unsettled(client.accountKey, client.journalKey)).toEqual([]);
});

test("two processes claiming from one journal at once never take the same batch", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await createBatch(client, "paused")).batchId);
  fs.writeFileSync(file, ids.map((id) => mintedByKilledRun(id, R)).join(""));
  const script = `
    const { Journal, JournalKey } = require(${JSON.stringify(path.join(__dirname, "..", "dist", "core", "journal.js"))});
    const j = new Journal(process.argv[1]);
    const key = new JournalKey(process.env.SENDGRID_API_KEY);
    const got = [];
    for (const b of j.unsettled(process.argv[2], key)) if (j.claimId(b.minted.batchId, key)) got.push(b.minted.batchId);
    console.log(JSON.stringify(got));
    setTimeout(() => {}, 1500); // stay alive: a live claim must keep the other process away
  `;
  const run = () =>
    new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", script, file, client.accountKey, R], {
        env: { ...process.env, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
    });
  const [first, second] = await Promise.all([run(), run()]);
  expect([...first, ...second].sort()).toEqual([...ids].sort());
  expect(first.filter((id) => second.includes(id))).toEqual([]);
});

test("no create takes over a batch an interrupted run left, not even the plugin's create of the resource it was minted for: it mints its own", async () => {
  const mine = (await createBatch(client, "paused")).batchId;
  const cancelled = (await createBatch(client, "cancelled")).batchId;
  const urn = "urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::newsletter";
  fs.writeFileSync(file, mintedByKilledRun(cancelled, urn) + mintedByKilledRun(mine, urn));
  await mailOn(mine);
  await mailOn(cancelled);
  await takeSendGridCalls(sg.admin);
  // The same URN's create: under `pulumi up --replace` it is the replacement of a resource that
  // still holds its batch, and the engine showed this process nothing of it (no old inputs, no Diff).
  const plugin = new BatchResource(() => ({ apiUrl: sg.url }), journalEnv());
  const made = await plugin.create({ status: "paused" }, urn);
  expect([mine, cancelled]).not.toContain(made.id);
  expect(made.outs).toMatchObject({ batchId: made.id, status: "paused", adopted: false });
  expect(await takeSendGridCalls(sg.admin)).toEqual(["POST /v3/mail/batch", "POST /v3/user/scheduled_sends"]);
  // Another resource's create, and one that names none (the dynamic provider), mint their own too.
  const journal = new Journal(file);
  const other = await provision(client, { status: "active" }, { journal, resource: `${urn}-2` });
  const unnamed = await provision(client, { status: "active" }, { journal });
  for (const id of [other.batchId, unnamed.batchId]) expect([mine, cancelled]).not.toContain(id);
  expect(readJournal(file).filter((l) => l.event === "claimed")).toEqual([]);
  const held = new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  expect([held.get(mine), held.get(cancelled)]).toEqual(["paused", "cancelled"]);
  // Both stay proven for `orphans --clear`, which also reads the stacks' exports.
  expect(journal.unsettled(client.accountKey, client.journalKey).map((b) => b.minted.batchId)).toEqual([cancelled, mine]);
  expect(await fatesAfterSendTime()).toEqual({ [mine]: "scheduled", [cancelled]: "discarded" });
});

test("adopting with batchId an id the journal shows handed to another resource is refused (BATCH_HELD), having changed nothing; its own resource may", async () => {
  const journal = new Journal(file);
  const orders = await provision(client, { status: "paused" }, { journal, resource: R });
  await mailOn(orders.batchId);
  await takeSendGridCalls(sg.admin);
  await expect(
    provision(client, { batchId: orders.batchId, status: "active" }, { journal, resource: `${R}-reports` }),
  ).rejects.toMatchObject({
    code: "BATCH_HELD",
    message: expect.stringContaining(
      `batch ${orders.batchId} is held by ${R} (the batch journal ${file} shows it handed there); not adopted`,
    ),
  });
  await expect(provision(client, { batchId: orders.batchId, status: "active" }, { journal })).rejects.toMatchObject({ code: "BATCH_HELD" });
  // A `handed` line that names no resource (an earlier version's dynamic resource): held by a
  // resource nobody can name, so no adopter is "the same one", named or not.
  const older = (await createBatch(client, "paused")).batchId;
  journal.append("handed", older, client.journalKey);
  await takeSendGridCalls(sg.admin);
  for (const resource of [R, undefined])
    await expect(provision(client, { batchId: older, status: "active" }, { journal, resource })).rejects.toMatchObject({
      code: "BATCH_HELD",
      message: expect.stringContaining(
        `batch ${older} is held by a resource the journal does not name (a line an earlier version wrote) (the batch journal ${file} shows it handed there); not adopted. Give this resource its own batch (drop batchId). To move the batch here deliberately, first remove it from the resource that holds it`,
      ),
    });
  expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  expect(await provision(client, { batchId: orders.batchId, status: "paused" }, { journal, resource: R })).toEqual({
    batchId: orders.batchId,
    status: "paused",
    adopted: true,
    handed: expect.any(String),
  });
  expect(await fatesAfterSendTime()).toEqual({ [orders.batchId]: "scheduled" });
});

test("a journal that cannot be written stops the create before any batch is minted, and says what to do", async () => {
  const blocker = path.join(path.dirname(file), "not-a-dir");
  fs.writeFileSync(blocker, "");
  process.env.SENDGRID_BATCH_JOURNAL = path.join(blocker, "journal.jsonl");
  await takeSendGridCalls(sg.admin);
  try {
    await expect(rt.create({ apiUrl: sg.url, status: "paused" })).rejects.toMatchObject({
      code: "JOURNAL_UNWRITABLE",
      message: expect.stringMatching(
        /cannot write the batch journal .*not-a-dir\/journal\.jsonl \((ENOTDIR|EEXIST)\); no batch was created\. Set SENDGRID_BATCH_JOURNAL to a writable file/,
      ),
    });
  } finally {
    delete process.env.SENDGRID_BATCH_JOURNAL;
  }
  expect(await takeSendGridCalls(sg.admin)).toEqual([]);
});

test("each create journals its id before the status write and marks it handed after", async () => {
  const journal = new Journal(file);
  let linesAtStatusWrite: string[] = [];
  const observed = new SendGridBatchClient(
    { apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url },
    {
      onAttempt: (a) => {
        if (a.path === "/v3/user/scheduled_sends") linesAtStatusWrite = journal.entries().map((e) => e.event);
      },
    },
  );
  const made = await provision(observed, { status: "paused" }, { journal });
  expect(linesAtStatusWrite).toEqual(["minted"]);
  expect(journal.entries().map((e) => [e.event, e.batchId])).toEqual([
    ["minted", made.batchId],
    ["handed", made.batchId],
  ]);
});

/** Past every send time: the fate of each message, by subject. */
async function fatesAfterSendTime(): Promise<Record<string, string>> {
  await sg.admin.advanceClock(3 * 3600);
  return Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate]));
}

/** A program's message on `batchId`, two hours ahead (subject: the batch id). */
async function mailOn(batchId: string): Promise<void> {
  await sg.admin.seedMessage({ batch_id: batchId, send_at: (await sg.admin.now()) + 7200, onBehalfOf: null, subject: batchId });
}

describe("every route by which an id reaches the engine marks it handed first (issue 22, path 1)", () => {
  test("a batch adopted with batchId is never taken over by a later create: its held mail stays held", async () => {
    const x = (await createBatch(client, "paused")).batchId;
    fs.writeFileSync(file, mintedByKilledRun(x, R));
    const journal = new Journal(file);
    const adopted = await provision(client, { batchId: x, status: "paused" }, { journal });
    expect(adopted).toEqual({ batchId: x, status: "paused", adopted: true, handed: expect.any(String) });
    await mailOn(x);
    const next = await provision(client, {}, { journal, resource: R });
    expect(next.batchId).not.toBe(x);
    expect(journal.entries().filter((e) => e.batchId === x && e.event === "handed")).toHaveLength(1);
    expect(await fatesAfterSendTime()).toEqual({ [x]: "scheduled" });
  });

  test.each([
    [
      "the plugin's import (Read without properties)",
      (x: string) => new BatchResource(() => ({ apiUrl: sg.url }), journalEnv()).read(x, {}),
    ],
    ["the dynamic provider's refresh", (x: string) => rt.read(x, { apiUrl: sg.url, status: "paused", batchId: x, adopted: false })],
  ])("an id %s returns is never taken over by a later create", async (_name, read) => {
    const x = (await createBatch(client, "paused")).batchId;
    fs.writeFileSync(file, mintedByKilledRun(x, "urn:next"));
    const before = process.env.SENDGRID_BATCH_JOURNAL;
    process.env.SENDGRID_BATCH_JOURNAL = file;
    try {
      await expect(read(x)).resolves.toMatchObject({ id: x });
      await mailOn(x);
      const next = await new BatchResource(() => ({ apiUrl: sg.url }), journalEnv()).create({ status: "active" }, "urn:next");
      expect(next.id).not.toBe(x);
    } finally {
      if (before === undefined) delete process.env.SENDGRID_BATCH_JOURNAL;
      else process.env.SENDGRID_BATCH_JOURNAL = before;
    }
    expect(await fatesAfterSendTime()).toEqual({ [x]: "scheduled" });
  });

  test("an adoption refuses a batch another running process has claimed (to take it over or clear it), having changed nothing", async () => {
    const x = (await createBatch(client, "paused")).batchId;
    fs.writeFileSync(file, mintedByKilledRun(x));
    const orphansRun = new Journal(file, { writer: { run: "orphans-clear", host: os.hostname(), pid: process.pid } });
    expect(orphansRun.claimId(x, client.journalKey)).toBe(true);
    await takeSendGridCalls(sg.admin);
    await expect(provision(client, { batchId: x, status: "active" }, { journal: new Journal(file) })).rejects.toMatchObject({
      code: "BATCH_CLAIMED",
      message: expect.stringMatching(
        new RegExp(`batch ${x} was claimed by another process \\(pid ${process.pid} on .*; not adopted, having sent nothing`),
      ),
    });
    expect(await takeSendGridCalls(sg.admin)).toEqual([]);
    // The refused adoption wrote no line: the claimer keeps the batch (it clears it; then, its
    // `cleared` line written, an adoption may run again).
    expect(orphansRun.holds(x)).toBe(true);
  });
});

describe("a journal line is proof only if this account's key wrote it (issue 22, path 6)", () => {
  test("a hand-written, another key's or an altered minted line is never proof; this key's own line is", async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await createBatch(client, "paused")).batchId);
    const [unsigned, otherKey, altered, ours] = ids;
    const other = new SendGridBatchClient({ apiKey: `SG.${"o".repeat(22)}.${"k".repeat(43)}`, apiUrl: sg.url });
    const tampered = journalLine(killedRunEntry(altered, "https://api.eu.sendgrid.com|", R), client.journalKey).replace(
      "https://api.eu.sendgrid.com|",
      client.accountKey,
    );
    fs.writeFileSync(
      file,
      journalLine(killedRunEntry(unsigned, client.accountKey, R)) +
        journalLine(killedRunEntry(otherKey, client.accountKey, R), other.journalKey) +
        tampered +
        mintedByKilledRun(ours, R),
    );
    for (const id of [unsigned, otherKey, altered]) await mailOn(id);
    const journal = new Journal(file);
    expect(journal.minted(client.journalKey).map((m) => [m.minted.batchId, m.signed])).toEqual([
      [unsigned, false],
      [otherKey, false],
      [altered, false],
      [ours, true],
    ]);
    expect(journal.unsettled(client.accountKey, client.journalKey).map((b) => b.minted.batchId)).toEqual([ours]);
    const fresh = await provision(client, { status: "active" }, { journal, resource: R });
    expect(ids).not.toContain(fresh.batchId);
    expect(await fatesAfterSendTime()).toEqual({ [unsigned]: "scheduled", [otherKey]: "scheduled", [altered]: "scheduled" });
  });

  test("the journal holds no key: each line's MAC is made with a key derived from it", async () => {
    const journal = new Journal(file);
    const made = await provision(client, { status: "paused" }, { journal });
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain(DEFAULT_EMULATOR_API_KEY);
    for (const part of DEFAULT_EMULATOR_API_KEY.split(".")) expect(text).not.toContain(part);
    expect(readJournal(file).map((e) => [e.event, e.batchId, client.journalKey.wrote(e)])).toEqual([
      ["minted", made.batchId, true],
      ["handed", made.batchId, true],
    ]);
    expect(JSON.stringify({ key: client.journalKey })).toBe('{"key":"[journal key]"}');
  });
});

test("the journal's folder, when the journal creates it, ignores itself in git", async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-journal-dir-")), ".sendgrid-batches");
  const journal = new Journal(path.join(dir, "journal.jsonl"));
  await provision(client, { status: "paused" }, { journal });
  expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toMatch(/^\*$/m);
});

/** The plugin's environment with this test's journal. */
function journalEnv(): NodeJS.ProcessEnv {
  return { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY, SENDGRID_BATCH_JOURNAL: file };
}

describe("a short or failed journal write fails the create before the id is used (issue 22, path 3)", () => {
  /** The largest file a child process may write (RLIMIT_FSIZE through `ulimit -f`, in KiB). */
  const LIMIT = 8 * 1024;
  /**
   * A paused create in a child process whose files may not grow past LIMIT, with the journal
   * already LIMIT - `room` bytes long. SIGXFSZ is ignored (Node ignores it), so a write that
   * crosses the limit is cut short and the next one fails with EFBIG, as on a full disk.
   */
  function createUnderFileLimit(room: number): Promise<Record<string, unknown>> {
    fs.writeFileSync(file, `\n${"#".repeat(LIMIT - room - 1)}`); // a line that proves nothing, filling the file
    const script = `
      const core = require(${JSON.stringify(path.join(__dirname, "..", "dist", "core", "index.js"))});
      const client = new core.SendGridBatchClient({ apiKey: process.env.SENDGRID_API_KEY, apiUrl: process.argv[1] });
      core.provision(client, { status: "paused" }, { journal: new core.Journal(process.argv[2]), resource: process.argv[3] }).then(
        (made) => console.log(JSON.stringify({ ok: true, ...made })),
        (err) => console.log(JSON.stringify({ ok: false, name: err.name, code: err.code, message: err.message, batchId: err.batchId, status: err.status })),
      );
    `;
    return new Promise((resolve, reject) => {
      const child = spawn("bash", ["-c", `ulimit -f ${LIMIT / 1024} && exec "$0" "$@"`, process.execPath, "-e", script, sg.url, file, R], {
        env: { ...process.env, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`exit ${code}`))));
    });
  }
  /** The longest `minted` line a child can write here (its pid has at most 7 digits). */
  const mintedLength = () =>
    journalLine(
      {
        ...killedRunEntry("x".repeat(32), client.accountKey, R),
        run: randomUUID(),
        host: os.hostname(),
        pid: 1234567,
        // What a child on this machine records of where it runs (Linux), as the journal reads it.
        pidns: procText(() => fs.readlinkSync("/proc/self/ns/pid")),
        boot: procText(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
        time: new Date().toISOString(),
      },
      client.journalKey,
    ).length;
  function procText(read: () => string): string | undefined {
    try {
      return read().trim();
    } catch {
      return undefined;
    }
  }

  test("a `handed` line cut short: the id is not handed (no program gets it), the next line starts on a fresh line, and the id stays proven for `orphans --clear`", async () => {
    await takeSendGridCalls(sg.admin);
    const r = await createUnderFileLimit(mintedLength() + 80);
    expect(r).toMatchObject({
      ok: false,
      code: "JOURNAL_UNWRITABLE",
      message: expect.stringMatching(
        /could not write the handed line of batch \S+ .*\(EFBIG\): batch \S+ \(paused\) is not handed to the engine/,
      ),
    });
    expect(r.batchId).toBeUndefined(); // not a MustRecordError: the engine records nothing
    const [x] = (await sg.admin.batches()).map((b) => b.batch_id);
    expect(r.message).toContain(x);
    // The torn line proves nothing, and the lines after it are whole: the next create (another
    // process) mints its own batch, and the one that reached no program stays proven.
    const next = await provision(client, {}, { journal: new Journal(file), resource: R });
    expect(next.batchId).not.toBe(x);
    expect(new Journal(file).unsettled(client.accountKey, client.journalKey).map((b) => b.minted.batchId)).toEqual([x]);
    const text = fs.readFileSync(file, "utf8");
    const lines = text
      .split("\n")
      .filter((l) => l)
      .slice(1); // after the filler: the child's lines, the next create's
    expect(lines.map((l) => l.slice(0, 18))).toEqual([
      '{"event":"minted",',
      '{"event":"handed",',
      '{"event":"minted",',
      '{"event":"handed",',
    ]);
    expect(new Journal(file).entries().map((e) => [e.event, e.batchId === x])).toEqual([
      ["minted", true],
      ["minted", false],
      ["handed", false],
    ]);
  });

  test("a `minted` line cut short: the create stops before the status write, and the id (no status, no slot) is not handed", async () => {
    await takeSendGridCalls(sg.admin);
    const r = await createUnderFileLimit(60);
    expect(r).toMatchObject({
      ok: false,
      code: "JOURNAL_UNWRITABLE",
      message: expect.stringMatching(
        /could not write the minted line of batch (\S+) to the batch journal .*\(EFBIG\): batch \1 was minted and left without a status \(it holds no quota slot and no mail\), and is not handed to the engine/,
      ),
    });
    expect(r.batchId).toBeUndefined(); // not a MustRecordError: no program gets the id
    expect(await sg.admin.batches()).toEqual([expect.objectContaining({ status: "active" })]);
    expect(await takeSendGridCalls(sg.admin)).not.toContain("POST /v3/user/scheduled_sends");
    expect(new Journal(file).entries()).toEqual([]);
  });
});
