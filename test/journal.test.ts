// The provenance journal (core/journal.ts) as the providers use it: a real file, real processes and
// the emulator over HTTP. What it proves decides whether a batch may be taken over or cleared, so
// each rule that keeps a batch out of reach is pinned here.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, SendGridBatchClient, createBatch, provision } from "../core";
import { BatchResource } from "../plugin/resource";
import * as rt from "../provider/runtime";
import { takeSendGridCalls, useEmulator } from "./support/emulator";

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

/** A line as a killed run on a CI runner left it: minted, never handed. */
function mintedByKilledRun(batchId: string, resource?: string): string {
  return `${JSON.stringify({ event: "minted", batchId, run: `killed-${batchId}`, host: "ci-runner-7", pid: 4242, time: "2026-12-03T01:00:00.000Z", account: client.accountKey, resource })}\n`;
}

test("a line cut short by a crash is skipped, and the lines appended after it are read", async () => {
  const a = (await createBatch(client, "paused")).batchId;
  const b = (await createBatch(client, "paused")).batchId;
  fs.writeFileSync(file, `${mintedByKilledRun(a)}{"event":"minted","batchId":"tor`);
  const journal = new Journal(file);
  expect(journal.unsettled(client.accountKey).map((m) => m.minted.batchId)).toEqual([a]);
  fs.appendFileSync(file, `\n${mintedByKilledRun(b)}`);
  expect(journal.unsettled(client.accountKey).map((m) => m.minted.batchId)).toEqual([a, b]);
});

test("an id handed to the engine, minted by a running process, or of another account is never proof", async () => {
  const journal = new Journal(file);
  const handed = (await createBatch(client, "paused")).batchId;
  journal.append("minted", handed, { account: client.accountKey });
  journal.append("handed", handed);
  const live = (await createBatch(client, "paused")).batchId;
  journal.append("minted", live, { account: client.accountKey }); // this process: still running
  const other = (await createBatch(client, "paused")).batchId;
  fs.appendFileSync(file, mintedByKilledRun(other).replace(client.accountKey, "https://api.eu.sendgrid.com|"));
  expect(journal.unsettled(client.accountKey)).toEqual([]);
  expect(journal.claim(client.accountKey)).toBeUndefined();
});

test("two processes claiming from one journal at once never take the same batch", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await createBatch(client, "paused")).batchId);
  fs.writeFileSync(file, ids.map((id) => mintedByKilledRun(id)).join(""));
  const script = `
    const { Journal } = require(${JSON.stringify(path.join(__dirname, "..", "dist", "core", "journal.js"))});
    const j = new Journal(process.argv[1]);
    const got = [];
    for (let id = j.claim(process.argv[2]); id !== undefined; id = j.claim(process.argv[2])) got.push(id);
    console.log(JSON.stringify(got));
    setTimeout(() => {}, 1500); // stay alive: a live claim must keep the other process away
  `;
  const run = () =>
    new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", script, file, client.accountKey], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
    });
  const [first, second] = await Promise.all([run(), run()]);
  expect([...first, ...second].sort()).toEqual([...ids].sort());
  expect(first.filter((id) => second.includes(id))).toEqual([]);
});

test("the plugin's create takes back the batch minted for its own URN first, with one read and no write", async () => {
  const mine = (await createBatch(client, "paused")).batchId;
  const other = (await createBatch(client, "paused")).batchId;
  const urn = "urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::newsletter";
  fs.writeFileSync(file, mintedByKilledRun(other, `${urn}-2`) + mintedByKilledRun(mine, urn));
  await takeSendGridCalls(sg.admin);
  const plugin = new BatchResource(() => ({ apiUrl: sg.url }), {
    SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
    SENDGRID_BATCH_JOURNAL: file,
  });
  const made = await plugin.create({ status: "paused" }, urn);
  expect(made).toMatchObject({ id: mine, outs: { batchId: mine, status: "paused", adopted: false } });
  expect(await takeSendGridCalls(sg.admin)).toEqual(["GET /v3/user/scheduled_sends/{batch_id}"]);
  const lines = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; batchId: string });
  expect(lines.slice(-2).map((l) => [l.event, l.batchId])).toEqual([
    ["claimed", mine],
    ["handed", mine],
  ]);
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
