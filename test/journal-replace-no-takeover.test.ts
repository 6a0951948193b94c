// A create never takes over a batch an interrupted run left (core/lifecycle.ts provision), through
// the plugin from Pulumi YAML and the real engine. The rule before: a create took over a batch the
// journal showed minted for the same resource (its URN) and never handed, "the one place the id
// belongs anyway". A replace breaks that: `pulumi up --replace URN` (the engine's default
// create-before-delete) creates the same URN while the old resource still holds its batch, then
// deletes (cancels) the old one, and the engine shows the provider nothing of the old resource
// before the create (a Check without old inputs, no Diff: the same calls as for a new resource).
// With the journal restored from an older copy (the killed run's CI artifact), which lacks the
// `handed` line of the batch the stack holds, the replacement took that batch over and the old
// resource's delete cancelled it under the new one: the stack declared it `paused`, SendGrid held
// it `cancelled`, the replacement's mail was discarded (second adversarial review). The provider
// cannot tell that create from a pending create's, so no create takes over anything: the killed
// run's batch is for `sendgrid-batches orphans --clear`.
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { journalLine, killedRunEntry } from "./support/journalLines";
import { pluginProject, type PluginProject } from "./support/pluginProject";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;

const projects: PluginProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.dispose();
});

beforeEach(() => sg.admin.reset());

test("`pulumi up --replace` with the journal restored from a killed run's copy: the replacement gets a new batch, the old one is cancelled with its mail, the killed run's batch is left alone", async () => {
  const name = "replace-restored";
  const p = await pluginProject(name, { batches: {} }, { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY } });
  projects.push(p);
  const journal = path.join(p.s.backendDir, "journal.jsonl");
  const client = new SendGridBatchClient({ apiKey: KEY, apiUrl: sg.url });
  const urn = `urn:pulumi:${p.s.stack.name}::${name}::sendgrid-batch:index:ScheduledBatch::newsletter`;

  // A killed `up` creating "newsletter": its batch minted and paused, journaled minted, never handed.
  const x = (await createBatch(client, "paused")).batchId;
  fs.appendFileSync(journal, journalLine(killedRunEntry(x, client.accountKey, urn), client.journalKey));
  const artifact = fs.readFileSync(journal); // the killed run's CI artifact

  // The next run creates "newsletter" (its batch: formerly the killed run's, now its own), and the
  // application mails on the id the stack gives it.
  p.write({ batches: { newsletter: { status: "paused" } } });
  const old = String((await p.s.stack.up()).outputs.newsletter.value);
  const res = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: old, send_at: (await sg.admin.now()) + 7200, subject: "held on the newsletter" }),
  });
  expect(res.status).toBe(202);

  // A later job restores the journal from that artifact (the last run's upload was not kept), then
  // replaces the resource (`pulumi up --replace`): a new batch for the replacement, the old one cancelled.
  fs.writeFileSync(journal, artifact);
  const up = await p.s.stack.up({ replace: [urn] });
  const newId = String(up.outputs.newsletter.value);
  // The application mails on the id the stack now gives it.
  const after = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: newId, send_at: (await sg.admin.now()) + 7200, subject: "held on the replacement" }),
  });
  expect(after.status).toBe(202);

  const exported = (await p.s.stack.exportStack()).deployment.resources as { urn: string; id?: string; outputs?: { status?: string } }[];
  const recorded = exported.find((r) => r.urn === urn);
  await sg.admin.advanceClock(3 * 3600);
  const fates = Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate]));
  const sendGrid = async (id: string) => (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active";
  expect({
    replacementTookTheOldBatch: newId === old,
    recordedStatus: recorded?.outputs?.status,
    sendGridHoldsRecorded: await sendGrid(String(recorded?.id)),
    fates,
    killedRunsBatch: { takenBy: [old, newId].includes(x) ? "a create" : "nobody", status: await sendGrid(x) },
  }).toEqual({
    replacementTookTheOldBatch: false,
    recordedStatus: "paused",
    sendGridHoldsRecorded: "paused",
    // The old batch's mail: cancelled with the replaced resource (its batch is no longer the stack's).
    fates: { "held on the newsletter": "discarded", "held on the replacement": "scheduled" },
    // Still paused, for `orphans --clear` (it reads the stack's export too).
    killedRunsBatch: { takenBy: "nobody", status: "paused" },
  });
});
