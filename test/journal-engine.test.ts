// The journal's proof (core/journal.ts) through the layers a user hits: the plugin from Pulumi YAML
// through the real engine, and `sendgrid-batches orphans --clear` racing a real `pulumi up`. Each
// scenario once ended with an application's held mail delivered (issue 22, paths 1, 2 and 6); the
// emulator tells each message's fate once its clock has passed every send time.
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { ScheduledBatch } from "../provider";
import { localStack } from "../scripts/lib/engine";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { journalLine, killedRunEntry } from "./support/journalLines";
import { pluginProject, type PluginProject, type YamlProgram } from "./support/pluginProject";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(600_000);

const sg = useEmulator();
const proxy = useSendGridProxy(sg);
const KEY = DEFAULT_EMULATOR_API_KEY;

let p: PluginProject | undefined;
afterEach(async () => {
  await p?.dispose();
  p = undefined;
  proxy.rules.meanwhile = undefined;
});

/** A YAML project using the plugin against `apiUrl` (default: the emulator), and its journal's path. */
async function project(name: string, program: YamlProgram, apiUrl = sg.url): Promise<{ p: PluginProject; journal: string }> {
  await sg.admin.reset();
  p = await pluginProject(name, program, { config: { "sendgrid-batch:apiUrl": apiUrl }, env: { SENDGRID_API_KEY: KEY } });
  return { p, journal: path.join(p.s.backendDir, "journal.jsonl") };
}

/** The application: POST /v3/mail/send with `batchId`, two hours from the emulator's now (subject: `subject`). */
async function scheduleMail(batchId: string, subject: string): Promise<void> {
  const res = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: batchId, send_at: (await sg.admin.now()) + 7200, subject }),
  });
  expect(res.status).toBe(202);
}

/** The URN the plugin gives `name`'s create in project `project` (the resource a minted line names). */
function urnOf(s: PluginProject, project: string, name: string): string {
  return `urn:pulumi:${s.s.stack.name}::${project}::sendgrid-batch:index:ScheduledBatch::${name}`;
}

/** Past every send time: each message's fate, by subject ("scheduled" past its send time: held by a paused batch). */
async function fatesAfterSendTime(): Promise<Record<string, string>> {
  await sg.admin.advanceClock(3 * 3600);
  return Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate]));
}

/** State equals SendGrid: each recorded batch's status is the one SendGrid holds. */
async function expectStateEqualsSendGrid(s: PluginProject): Promise<void> {
  const held = new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  const resources = (await s.s.stack.exportStack()).deployment.resources as { type: string; id?: string; outputs?: { status?: string } }[];
  const batches = resources.filter((r) => r.type === "sendgrid-batch:index:ScheduledBatch");
  expect(batches.length).toBeGreaterThan(0);
  for (const r of batches) expect([r.id, r.outputs?.status]).toEqual([r.id, held.get(r.id as string) ?? "active"]);
}

test("a batch a killed run left, adopted with batchId and carrying mail, is never taken over by the next create (path 1)", async () => {
  const { p, journal } = await project("journal-adopt", { batches: {} });
  const client = new SendGridBatchClient({ apiKey: KEY, apiUrl: sg.url });
  // What a killed `up` leaves: a paused batch, journaled as minted and never handed.
  const x = (await createBatch(client, "paused")).batchId;
  fs.appendFileSync(journal, journalLine(killedRunEntry(x, client.accountKey), client.journalKey));

  // The user adopts it by the id the killed run's output named, and the application mails on it.
  p.write({ batches: { adopted: { batchId: x, status: "paused" } } });
  expect(String((await p.s.stack.up()).outputs.adopted.value)).toBe(x);
  await scheduleMail(x, "held on the adopted batch");

  // Any other resource added: its create mints its own batch.
  p.write({ batches: { adopted: { batchId: x, status: "paused" }, other: {} } });
  const up = await p.s.stack.up();
  expect(String(up.outputs.other.value)).not.toBe(x);
  expect((await sg.admin.batches()).find((b) => b.batch_id === x)?.status).toBe("paused");
  await expectStateEqualsSendGrid(p);
  expect(await fatesAfterSendTime()).toEqual({ "held on the adopted batch": "scheduled" });
});

test("a minted line this account's key did not write is not taken over by a create (path 6)", async () => {
  const { p, journal } = await project("journal-forged", { batches: {} });
  const client = new SendGridBatchClient({ apiKey: KEY, apiUrl: sg.url });
  const other = new SendGridBatchClient({ apiKey: `SG.${"o".repeat(22)}.${"k".repeat(43)}`, apiUrl: sg.url });
  // An application's paused batches, with mail; a hand-written line, and one made with another key, name them.
  const forged = (await createBatch(client, "paused")).batchId;
  const otherKeys = (await createBatch(client, "paused")).batchId;
  await scheduleMail(forged, "held on the hand-written one");
  await scheduleMail(otherKeys, "held on the other key's one");
  fs.appendFileSync(
    journal,
    journalLine(killedRunEntry(forged, client.accountKey, urnOf(p, "journal-forged", "first"))) +
      journalLine(killedRunEntry(otherKeys, client.accountKey, urnOf(p, "journal-forged", "second")), other.journalKey),
  );

  p.write({ batches: { first: {}, second: {} } });
  const up = await p.s.stack.up();
  for (const name of ["first", "second"]) expect([forged, otherKeys]).not.toContain(String(up.outputs[name].value));
  await expectStateEqualsSendGrid(p);
  expect(await fatesAfterSendTime()).toEqual({ "held on the hand-written one": "scheduled", "held on the other key's one": "scheduled" });
});

test("`orphans --clear` racing `pulumi up`: the create never takes the batch being cleared (path 2)", async () => {
  // Both talk to SendGrid through the proxy (one account): the command's DELETE is held there until
  // a whole `pulumi up` has run, between the command's last re-read and its DELETE.
  const { p, journal } = await project("journal-race", { batches: {} }, proxy.url);
  const viaProxy = new SendGridBatchClient({ apiKey: KEY, apiUrl: proxy.url });
  const x = (await createBatch(viaProxy, "paused")).batchId;
  fs.appendFileSync(
    journal,
    journalLine(killedRunEntry(x, viaProxy.accountKey, urnOf(p, "journal-race", "newsletter")), viaProxy.journalKey),
  );

  let made: string | undefined;
  let engineRun: Promise<void> | undefined;
  proxy.rules.meanwhile = async (req) => {
    if (req.method !== "DELETE") return;
    engineRun ??= (async () => {
      p.write({ batches: { newsletter: { status: "paused" } } });
      made = String((await p.s.stack.up()).outputs.newsletter.value);
      await scheduleMail(made, "held on the new resource's batch");
    })();
    await engineRun; // a retried DELETE waits too
  };
  const r = await runBatchesBin(
    ["orphans", "--api-url", proxy.url, "--journal", journal, "--state", tempFile("empty.json", stackExport([])), "--clear", "--yes"],
    { SENDGRID_API_KEY: KEY },
  );
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`cleared ${x} (was paused)`);
  expect(made).toBeDefined();
  expect(made).not.toBe(x);
  await expectStateEqualsSendGrid(p);
  expect(await fatesAfterSendTime()).toEqual({ "held on the new resource's batch": "scheduled" });
});

describe("the line each minted id gets stays out of the run's summary (20 creates)", () => {
  const names = Array.from({ length: 20 }, (_, i) => `b${i}`);
  /** The summary a user reads at the end of `pulumi up`: from "Diagnostics:" on (empty when there is none). */
  const summaryOf = (stdout: string) => (stdout.includes("Diagnostics:") ? stdout.slice(stdout.indexOf("Diagnostics:")) : "");

  test("the plugin: none in the summary; each at the engine's debug level (`pulumi up --debug`)", async () => {
    const { p } = await project("journal-quiet-plugin", { batches: Object.fromEntries(names.map((n) => [n, {}])) });
    const up = await p.s.stack.up();
    expect(summaryOf(up.stdout)).not.toContain("sendgrid-batch:");
    expect(up.stdout).not.toContain("minted batch");
    // Five more with --debug: each one's line is there.
    p.write({ batches: Object.fromEntries([...names, "c0", "c1", "c2", "c3", "c4"].map((n) => [n, {}])) });
    const debug = await p.s.stack.up({ debug: true });
    const lines = debug.stdout.match(/minted batch \S+ in http:\/\/127\.0\.0\.1:\d+ for urn:pulumi:\S+::c\d \(journal /g) ?? [];
    expect(new Set(lines).size).toBe(5);
  });

  test("the dynamic provider: one line in the summary, naming the journal", async () => {
    await sg.admin.reset();
    const s = await localStack({
      projectName: "journal-quiet-dynamic",
      program: async () => Object.fromEntries(names.map((n) => [n, new ScheduledBatch(n, { apiUrl: sg.url }).batchId])),
      env: { SENDGRID_API_KEY: KEY },
    });
    try {
      const up = await s.stack.up();
      expect(Object.keys(up.outputs)).toHaveLength(20);
      const summary = summaryOf(up.stdout);
      expect(summary.match(/sendgrid-batch: /g)).toHaveLength(1);
      expect(summary).toMatch(
        /sendgrid-batch: the ids of the batches this run mints are journaled in \S+journal\.jsonl \(SENDGRID_BATCH_LOG_MINTED=1 prints each\)/,
      );
    } finally {
      await s.dispose();
    }
  });
});
