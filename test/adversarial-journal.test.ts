// Adversarial review of the journal's proof (core/journal.ts) through the layer a user hits: the
// plugin from Pulumi YAML through the real engine. A create took over a batch when the journal it
// read showed the id `minted` (signed with this key, by a run that is over) and never `handed`.
// "Never handed in this file" is taken as "reached no program", but a `handed` line can be missing
// from the file a create reads while the id did reach a program: the journal restored from an older
// copy (the killed run's CI artifact), or the id handed through another journal (another project or
// working directory, another CI job, a laptop). The create never looked at whether the id is held
// anywhere else, so it took the batch over and changed its status: held mail was delivered while
// the stack that holds the batch declares it `paused`. No create takes a batch over now
// (journal-replace-no-takeover says why). Each test asserts the invariant (docs/reliability.md).
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { journalLine, killedRunEntry } from "./support/journalLines";
import { pluginProject, type PluginProject, type YamlProgram } from "./support/pluginProject";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;

const projects: PluginProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.dispose();
});

/** A YAML project using the plugin against the emulator, and its own journal's path. */
async function project(name: string, program: YamlProgram): Promise<{ p: PluginProject; journal: string }> {
  const p = await pluginProject(name, program, { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY } });
  projects.push(p);
  return { p, journal: path.join(p.s.backendDir, "journal.jsonl") };
}

/** The application: POST /v3/mail/send with `batchId`, two hours from the emulator's now. */
async function scheduleMail(batchId: string, subject: string): Promise<void> {
  const res = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: batchId, send_at: (await sg.admin.now()) + 7200, subject }),
  });
  expect(res.status).toBe(202);
}

/** Past every send time: each message's fate, by subject ("scheduled": held by a paused batch). */
async function fatesAfterSendTime(): Promise<Record<string, string>> {
  await sg.admin.advanceClock(3 * 3600);
  return Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate]));
}

/** What the stack records for each of its ScheduledBatch resources: name → [id, status]. */
async function recorded(p: PluginProject): Promise<Record<string, [string, string]>> {
  const resources = (await p.s.stack.exportStack()).deployment.resources as {
    type: string;
    urn: string;
    id?: string;
    outputs?: { status?: string };
  }[];
  return Object.fromEntries(
    resources
      .filter((r) => r.type === "sendgrid-batch:index:ScheduledBatch")
      .map((r) => [r.urn.split("::").pop() as string, [String(r.id), String(r.outputs?.status)]]),
  );
}

beforeEach(() => sg.admin.reset());

test("a journal restored from the killed run's copy: no later create takes the batch the stack holds paused, its mail stays held", async () => {
  const { p, journal } = await project("adv-restored-journal", { batches: {} });
  const client = new SendGridBatchClient({ apiKey: KEY, apiUrl: sg.url });
  // What a killed `up` leaves (as in journal-engine): a paused batch, journaled minted and never handed.
  const x = (await createBatch(client, "paused")).batchId;
  const newsletter = `urn:pulumi:${p.s.stack.name}::adv-restored-journal::sendgrid-batch:index:ScheduledBatch::newsletter`;
  fs.appendFileSync(journal, journalLine(killedRunEntry(x, client.accountKey, newsletter), client.journalKey));
  // The CI artifact of that killed run: the journal as it was then.
  const artifact = fs.readFileSync(journal);

  // The next run creates the newsletter: it mints its own batch (no create takes a stranded one back).
  p.write({ batches: { newsletter: { status: "paused" } } });
  const held = String((await p.s.stack.up()).outputs.newsletter.value);
  expect(held).not.toBe(x);
  await scheduleMail(held, "held on the newsletter's batch");

  // A later job restores the journal from the killed run's artifact (the newer upload was lost,
  // or the "newest artifact" picked is the wrong one): the `handed` line is gone from the file.
  fs.writeFileSync(journal, artifact);

  // Any other resource added: it must mint its own batch, take neither the newsletter's nor the killed run's.
  p.write({ batches: { newsletter: { status: "paused" }, other: {} } });
  const up = await p.s.stack.up();
  // Everything at once, so a failure shows the whole outcome.
  expect({
    otherTookIt: [x, held].includes(String(up.outputs.other.value)),
    recorded: (await recorded(p)).newsletter,
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === held)?.status ?? "active",
    fates: await fatesAfterSendTime(),
  }).toEqual({
    otherTookIt: false,
    recorded: [held, "paused"],
    sendGrid: "paused",
    fates: { "held on the newsletter's batch": "scheduled" },
  });
});

test("a batch a killed run left, adopted by another project (its own journal), is taken over by the killed project's next create: its mail is delivered", async () => {
  const { p: a, journal: journalA } = await project("adv-killed-project", { batches: {} });
  const client = new SendGridBatchClient({ apiKey: KEY, apiUrl: sg.url });
  const x = (await createBatch(client, "paused")).batchId;
  fs.appendFileSync(journalA, journalLine(killedRunEntry(x, client.accountKey), client.journalKey));

  // Another project of the same account (another directory, so another journal) adopts the batch by
  // the id the killed run printed; the application mails on it.
  const { p: b } = await project("adv-adopting-project", { batches: { adopted: { batchId: x, status: "paused" } } });
  expect(String((await b.s.stack.up()).outputs.adopted.value)).toBe(x);
  await scheduleMail(x, "held on the adopted batch");

  // The killed project's next `up` creates a resource: it must not take a batch a program holds.
  a.write({ batches: { fresh: {} } });
  const up = await a.s.stack.up();
  expect({
    freshTookIt: String(up.outputs.fresh.value) === x,
    recorded: (await recorded(b)).adopted,
    sendGrid: (await sg.admin.batches()).find((m) => m.batch_id === x)?.status ?? "active",
    fates: await fatesAfterSendTime(),
  }).toEqual({ freshTookIt: false, recorded: [x, "paused"], sendGrid: "paused", fates: { "held on the adopted batch": "scheduled" } });
});

test("adopting with batchId an id this stack's own resource holds paused (a pasted id) resumes it: the other resource's mail is delivered while it says paused", async () => {
  const { p } = await project("adv-adopt-own", { batches: { orders: { status: "paused" } } });
  const x = String((await p.s.stack.up()).outputs.orders.value);
  await scheduleMail(x, "held on orders");
  // The journal says x was handed (to "orders"), and the stack records it; a second resource adopts it as active.
  p.write({ batches: { orders: { status: "paused" }, reports: { batchId: x, status: "active" } } });
  const failed = await p.s.stack.up().then(
    () => false,
    () => true,
  );
  expect({
    refused: failed,
    recorded: (await recorded(p)).orders,
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: await fatesAfterSendTime(),
  }).toEqual({ refused: true, recorded: [x, "paused"], sendGrid: "paused", fates: { "held on orders": "scheduled" } });
});
