// A resource's Delete does not cancel a batch the journal shows handed to a later holder (a create,
// an adoption or an import after the resource's own `handed` line, whose marker its state records):
// through the plugin's lifecycle (BatchResource) against the emulator, the later hand-over written
// by another run on the same journal file (as the next `up` after a kill writes it). What does not
// count: a refresh's line, a line this account's key did not write, a state without a marker.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, SendGridBatchClient, createBatch, provision } from "../core";
import { HANDED_KEY } from "../pulumi/lifecycle";
import { BatchResource } from "../plugin/resource";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { journalLine, readJournal } from "./support/journalLines";

const sg = useEmulator();
let client: SendGridBatchClient;
let file: string;
beforeAll(() => {
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
});
beforeEach(async () => {
  await sg.admin.reset();
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-later-holder-")), "journal.jsonl");
});

const R = "urn:pulumi:dev::shop::sendgrid-batch:index:ScheduledBatch::orders";
const OTHER = "urn:pulumi:dev::shop::sendgrid-batch:index:ScheduledBatch::reports";

const plugin = () =>
  new BatchResource(() => ({ apiUrl: sg.url }), { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY, SENDGRID_BATCH_JOURNAL: file });
/** Another run on the same journal (the next `up`, after the first was killed). */
const nextRun = () => new Journal(file, { writer: { run: `next-up-${Date.now()}`, host: os.hostname(), pid: process.pid } });

/** The application's paused batch with a message two hours ahead; its fate once the send time passed. */
async function pausedWithMail(): Promise<string> {
  const x = (await createBatch(client, "paused")).batchId;
  await sg.admin.seedMessage({ batch_id: x, send_at: (await sg.admin.now()) + 7200, onBehalfOf: null, subject: x });
  return x;
}
async function afterSendTime(x: string): Promise<{ sendGrid: string | undefined; fate: string | undefined }> {
  await sg.admin.advanceClock(3 * 3600);
  return {
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status,
    fate: (await sg.admin.messages()).find((m) => m.batch_id === x)?.fate,
  };
}

test("the old resource's Delete after the same URN adopted the id again (another run): not cancelled, a `passed` line, no SendGrid call", async () => {
  const x = await pausedWithMail();
  const old = await plugin().create({ status: "paused", batchId: x }, R);
  expect(old.outs[HANDED_KEY]).toEqual(expect.any(String));
  // The replacement, created first under `pulumi up --replace`, in a later run.
  await provision(client, { batchId: x, status: "paused" }, { journal: nextRun(), resource: R });
  await takeSendGridCalls(sg.admin);
  await plugin().delete(x, old.outs, R);
  expect(await takeSendGridCalls(sg.admin)).toEqual([]);
  expect(readJournal(file).map((e) => `${e.event}${e.via ? ` (${e.via})` : ""}`)).toEqual(["handed (adopt)", "handed (adopt)", "passed"]);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "paused", fate: "scheduled" });
});

test("a created batch's Delete after an import of its id (another resource, the id released to it): not cancelled", async () => {
  const made = await plugin().create({ status: "paused" }, R);
  const x = made.id;
  await sg.admin.seedMessage({ batch_id: x, send_at: (await sg.admin.now()) + 7200, onBehalfOf: null, subject: x });
  // Without the user's word that R lets go of it, the import is refused (journal-import-held).
  await expect(plugin().read(x, {}, OTHER)).rejects.toThrow(/is held by .*::orders/);
  const releasing = new BatchResource(() => ({ apiUrl: sg.url }), {
    SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
    SENDGRID_BATCH_JOURNAL: file,
    SENDGRID_BATCH_RELEASED: x,
  });
  const imported = await releasing.read(x, {}, OTHER);
  expect(imported.props[HANDED_KEY]).toEqual(expect.any(String));
  await plugin().delete(x, made.outs, R);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "paused", fate: "scheduled" });
});

test("a refresh (its own or another's read) is no new holder: the Delete after it cancels, and the refresh keeps the state's marker", async () => {
  const x = await pausedWithMail();
  const old = await plugin().create({ status: "paused", batchId: x }, R);
  const refreshed = await plugin().read(x, old.outs, R);
  expect(refreshed.props[HANDED_KEY]).toBe(old.outs[HANDED_KEY]);
  await plugin().delete(x, refreshed.props, R);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "cancelled", fate: "discarded" });
});

test("a later adoption line this account's key did not write (hand-written) spares nothing: the Delete cancels", async () => {
  const x = await pausedWithMail();
  const old = await plugin().create({ status: "paused", batchId: x }, R);
  fs.appendFileSync(
    file,
    journalLine({
      event: "handed",
      via: "adopt",
      batchId: x,
      resource: R,
      run: "forged",
      host: "ci-runner-7",
      pid: 1,
      time: new Date().toISOString(),
    }),
  );
  await plugin().delete(x, old.outs, R);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "cancelled", fate: "discarded" });
});

test("a state without the marker (an earlier version's) is deleted as before: cancelled, whatever the journal shows later", async () => {
  const x = await pausedWithMail();
  const old = await plugin().create({ status: "paused", batchId: x }, R);
  await provision(client, { batchId: x, status: "paused" }, { journal: nextRun(), resource: R });
  const { [HANDED_KEY]: _marker, ...earlier } = old.outs;
  await plugin().delete(x, earlier, R);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "cancelled", fate: "discarded" });
});

test("a replacement's adoption that SendGrid refused (a `withdrawn` line) holds nothing: the old resource's Delete still cancels", async () => {
  const x = (await createBatch(client, "paused")).batchId;
  // Held mail five minutes ahead: a cancel is refused until it is overdue (the 10-minute rule).
  await sg.admin.seedMessage({ batch_id: x, send_at: (await sg.admin.now()) + 300, onBehalfOf: null, subject: x });
  const old = await plugin().create({ status: "paused", batchId: x }, R);
  await expect(provision(client, { batchId: x, status: "cancelled" }, { journal: nextRun(), resource: R })).rejects.toMatchObject({
    // SendGrid's 400 (the adoption has no declared sendAt to call it too late by)
    code: "BAD_REQUEST",
  });
  expect(readJournal(file).map((e) => e.event)).toEqual(["handed", "handed", "withdrawn"]);
  await sg.admin.advanceClock(600);
  await plugin().delete(x, old.outs, R);
  expect(await afterSendTime(x)).toEqual({ sendGrid: "cancelled", fate: "discarded" });
});
