// `sendgrid-batches orphans` through the built bin against the emulator. Absence from a state
// export proves nothing: each scenario below once ended with held mail delivered (issue 16 §1). Now
// only a batch the journal proves reached no program (minted by a run that ended, never handed to
// Pulumi) is cleared; everything else is listed and left alone, and the mail it holds is never sent.
// (The whole story with a real `pulumi up` killed mid-run is test/engine-interrupted-up.)

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { BatchResource } from "../plugin/resource";
import * as rt from "../provider/runtime";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { journalLine, killedRunEntry, readJournal } from "./support/journalLines";
import { useSendGridProxy } from "./support/sendgridProxy";

const sg = useEmulator();
const proxy = useSendGridProxy(sg);
let client: SendGridBatchClient;
let journal: string;
beforeAll(() => {
  process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
});
beforeEach(async () => {
  await sg.admin.reset();
  proxy.rules.meanwhile = undefined;
  proxy.rules.holdAnswerMs = undefined;
  journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-orphans-")), "journal.jsonl");
  process.env.SENDGRID_BATCH_JOURNAL = journal;
});

const deletes = async () => (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
const statusOf = async (id: string) => (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active";
const orphans = (...args: string[]) => runBatchesBin(["orphans", "--api-url", sg.url, "--journal", journal, ...args]);

/** A message of the account's scheduled with `batchId` two hours from the emulator's now. */
async function mailFor(batchId: string, onBehalfOf: string | null = null): Promise<void> {
  await sg.admin.seedMessage({ batch_id: batchId, send_at: (await sg.admin.now()) + 7200, onBehalfOf, subject: batchId });
}

/** Past every send time: how many messages SendGrid delivered. */
async function deliveredAfterSendTime(): Promise<number> {
  await sg.admin.advanceClock(3 * 3600);
  return (await sg.admin.messages()).filter((m) => m.fate === "delivered").length;
}

/**
 * Journal lines as a CI runner's killed `pulumi up` left them, signed with the account's key:
 * minted, never handed (another host: that run is over).
 */
function journalOfKilledRun(ids: string[], account = client.accountKey, resource?: string): void {
  const lines = ids.map((batchId, i) =>
    journalLine(
      killedRunEntry(batchId, account, resource ?? `urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::b${i}`),
      client.journalKey,
    ),
  );
  fs.appendFileSync(journal, lines.join(""));
}

/** An export of a stack whose batches are `ids` (and, for the account check, in this emulator's account). */
function exportOf(ids: string[], settings: Record<string, unknown> = { apiUrl: sg.url }): string {
  const doc = stackExport(ids.map((id) => ({ id })));
  for (const r of doc.deployment.resources as { outputs: Record<string, unknown> }[]) Object.assign(r.outputs, settings);
  return tempFile("stack.json", doc);
}

describe("only a batch the journal proves reached no program is cleared", () => {
  test("a killed run's batches are listed as ours and cleared; recorded, kept and unknown ones are untouched", async () => {
    const recorded = (await createBatch(client, "paused")).batchId;
    const kept = (await createBatch(client, "paused")).batchId;
    const app = (await createBatch(client, "cancelled")).batchId; // an application's own
    const ours = [(await createBatch(client, "paused")).batchId, (await createBatch(client, "cancelled")).batchId];
    journalOfKilledRun(ours);
    await sg.admin.clearRequests();

    const listed = await orphans("--state", exportOf([recorded]), "--keep", kept);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`recorded  ${recorded}  paused`);
    expect(listed.stdout).toContain(`kept      ${kept}  paused`);
    expect(listed.stdout).toMatch(
      new RegExp(`unknown {3}${app} {2}cancelled {2}not ours / unknown: not touched \\(clearing its status would send its mail again\\)`),
    );
    for (const id of ours) expect(listed.stdout).toMatch(new RegExp(`ours {6}${id} .*its id reached no program`));
    expect(listed.stdout).toContain("1 recorded, 1 kept, 2 ours and clearable, 0 of a run that may be going, 1 not ours / unknown");
    expect(await deletes()).toEqual([]);

    const cleared = await orphans("--state", exportOf([recorded]), "--keep", kept, "--clear", "--yes");
    expect(cleared.code).toBe(0);
    expect((await deletes()).sort()).toEqual([...ours].sort());
    for (const id of [recorded, kept]) expect(await statusOf(id)).toBe("paused");
    expect(await statusOf(app)).toBe("cancelled");
    const lines = readJournal(journal);
    expect(
      lines
        .filter((l) => l.event === "cleared")
        .map((l) => l.batchId)
        .sort(),
    ).toEqual([...ours].sort());
  });

  test("a minted line this account's key did not write (hand-written, another key's) proves nothing: the application's batch keeps its mail", async () => {
    const forged = (await createBatch(client, "paused")).batchId; // an application's, with mail
    const otherKeys = (await createBatch(client, "paused")).batchId;
    await mailFor(forged);
    await mailFor(otherKeys);
    const other = new SendGridBatchClient({ apiKey: `SG.${"o".repeat(22)}.${"k".repeat(43)}`, apiUrl: sg.url });
    fs.appendFileSync(
      journal,
      journalLine(killedRunEntry(forged, client.accountKey)) + journalLine(killedRunEntry(otherKeys, client.accountKey), other.journalKey),
    );
    await sg.admin.clearRequests();

    const r = await orphans("--state", exportOf([]), "--clear", "--yes");
    expect(r.code).toBe(0);
    for (const id of [forged, otherKeys])
      expect(r.stdout).toMatch(
        new RegExp(`unknown {3}${id} {2}paused {2}not ours / unknown \\(journal line not written with this key\\): not touched`),
      );
    expect(r.stdout).toContain("0 ours and clearable");
    expect(await deletes()).toEqual([]);
    expect(await deliveredAfterSendTime()).toBe(0);
  });

  test("a stack's retired batches (destroyed = cancelled, retained, state-deleted, replaced) keep their mail: 0 delivered", async () => {
    // Made by the provider itself, so the journal holds exactly what a real run writes: minted, handed.
    const destroyed = (await rt.create({ apiUrl: sg.url, status: "paused" })).id;
    await rt.delete(destroyed, { apiUrl: sg.url, status: "paused" }); // the documented way to discard its mail
    const retained = (await rt.create({ apiUrl: sg.url, status: "paused" })).id; // retainOnDelete / state delete
    const replacedOld = (await rt.create({ apiUrl: sg.url, status: "paused" })).id;
    await rt.delete(replacedOld, { apiUrl: sg.url, status: "paused" }); // a replace cancels the old batch
    const current = (await rt.create({ apiUrl: sg.url, status: "paused" })).id;
    for (const id of [destroyed, retained, replacedOld, current]) await mailFor(id);
    await sg.admin.clearRequests();

    const r = await orphans("--state", exportOf([current]), "--clear", "--yes");
    expect(r.code).toBe(0);
    for (const id of [destroyed, retained, replacedOld]) expect(r.stdout).toMatch(new RegExp(`unknown {3}${id} .*not touched`));
    expect(r.stdout).toMatch(/nothing to clear: only batches the journal proves ours are ever cleared/);
    expect(await deletes()).toEqual([]);
    expect(await deliveredAfterSendTime()).toBe(0);
  });

  test("an application's own paused and cancelled batches keep their mail, and the listing says clearing would send it", async () => {
    const paused = (await createBatch(client, "paused")).batchId;
    const cancelled = (await createBatch(client, "cancelled")).batchId;
    const mine = (await rt.create({ apiUrl: sg.url, status: "paused" })).id;
    for (const id of [paused, cancelled]) await mailFor(id);
    await sg.admin.clearRequests();

    const r = await orphans("--state", exportOf([mine]), "--clear", "--yes");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`${paused} {2}paused {2}not ours / unknown: not touched \\(clearing its status would send its mail on schedule\\)`),
    );
    expect(r.stdout).toMatch(
      /Clearing the status of a paused batch sends its mail on schedule, of a cancelled one sends it again: this command never does/,
    );
    expect(await deletes()).toEqual([]);
    expect(await deliveredAfterSendTime()).toBe(0);
  });

  test("a subuser's stack compared with the parent account, or an EU stack with another host, refuses --clear", async () => {
    const sub = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url, onBehalfOf: "subuser-a" });
    const subBatch = (await createBatch(sub, "paused")).batchId;
    const parentOrphan = (await createBatch(client, "paused")).batchId;
    journalOfKilledRun([parentOrphan]);
    await mailFor(subBatch, "subuser-a");
    await sg.admin.clearRequests();

    const subStack = exportOf([subBatch], { apiUrl: sg.url, onBehalfOf: "subuser-a" });
    const r = await orphans("--state", subStack, "--clear", "--yes");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /its batches are in http:\/\/127\.0\.0\.1:\d+ on behalf of subuser-a, not in http:\/\/127\.0\.0\.1:\d+ \(the account queried\)/,
    );
    const eu = await orphans("--state", exportOf([subBatch], { region: "eu" }), "--clear", "--yes");
    expect(eu.code).toBe(2);
    expect(eu.stderr).toMatch(/its batches are in https:\/\/api\.eu\.sendgrid\.com, not in/);
    expect(await deletes()).toEqual([]);

    // Queried as the subuser, the same export matches.
    const right = await orphans("--on-behalf-of", "subuser-a", "--state", subStack);
    expect(right.code).toBe(0);
    expect(right.stdout).toContain(`recorded  ${subBatch}  paused`);
    expect(await deliveredAfterSendTime()).toBe(0);
  });

  test("an export holding no ScheduledBatch (the wrong stack) refuses --clear", async () => {
    journalOfKilledRun([(await createBatch(client, "paused")).batchId]);
    const wrong = tempFile("other.json", {
      deployment: { resources: [{ urn: "urn:pulumi:dev::web::aws:s3/bucket:Bucket::site", type: "aws:s3/bucket:Bucket", id: "site" }] },
    });
    const r = await orphans("--state", wrong, "--clear", "--yes");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no ScheduledBatch resource: is it the export of the right stack\?/);
    expect(await deletes()).toEqual([]);
  });

  test.each([
    ["two ids in one --keep", (a: string, b: string) => `${a},${b}`],
    ["a lowercased id", (a: string) => a.toLowerCase()],
    ["an id that is no batch", () => "x"],
  ])("--keep with %s is an error, before anything is cleared", async (_name, keep) => {
    const a = (await createBatch(client, "paused")).batchId;
    const b = (await createBatch(client, "paused")).batchId;
    journalOfKilledRun([a, b]);
    await sg.admin.clearRequests();
    const r = await orphans("--state", exportOf([(await createBatch(client, "paused")).batchId]), "--keep", keep(a, b), "--clear", "--yes");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--keep .*: no paused or cancelled batch of .* has that id \(ids are case-sensitive; give --keep once per id\)/,
    );
    expect(await deletes()).toEqual([]);
  });
});

describe("a run that may still be going", () => {
  test("a batch the running `up` just paused, missing from an export taken before, is not cleared; state and SendGrid agree", async () => {
    const viaProxy = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: proxy.url });
    const earlier = (await createBatch(viaProxy, "paused")).batchId;
    const before = exportOf([earlier], { apiUrl: proxy.url }); // taken before the run started
    // The status write is applied at once but answered 3 s later: the create is mid-flight.
    proxy.rules.holdAnswerMs = { POST: 3000 };
    const creating = rt.create({ apiUrl: proxy.url, status: "paused" });
    let paused: string | undefined;
    while (paused === undefined) {
      paused = (await sg.admin.batches()).find((b) => b.status === "paused" && b.batch_id !== earlier)?.batch_id;
      if (paused === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    const r = await runBatchesBin(["orphans", "--api-url", proxy.url, "--journal", journal, "--state", before, "--clear", "--yes"]);
    const made = await creating;
    proxy.rules.holdAnswerMs = undefined;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`running {3}${paused} {2}paused {2}minted .* by a run that may still be going \\(pid ${process.pid} on `),
    );
    expect(r.stderr).toMatch(/not clearing while a run may still be going/);
    expect(await deletes()).toEqual([]);
    expect(made).toMatchObject({ id: paused, outs: { status: "paused" } });
    expect(await statusOf(paused)).toBe("paused");
  });

  test("an adoption racing `--clear` never gets the batch being cleared: each DELETE is claimed first (0 delivered, state equals SendGrid)", async () => {
    const [x, y] = [(await createBatch(client, "paused")).batchId, (await createBatch(client, "paused")).batchId];
    const urn = "urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::newsletter";
    journalOfKilledRun([x, y], `${proxy.url}|`, urn);
    const adopted: Record<string, string> = {};
    let raced = false;
    proxy.rules.meanwhile = async (req) => {
      if (req.method !== "DELETE" || raced) return;
      raced = true;
      // Between the re-read and the first DELETE: the user pastes both printed ids into resources
      // (the plugin's adoption, in this process, same journal and account); the program schedules
      // mail on each id it was given.
      const plugin = new BatchResource(() => ({ apiUrl: proxy.url }), {
        SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
        SENDGRID_BATCH_JOURNAL: journal,
      });
      for (const id of [x, y]) {
        try {
          const c = await plugin.create({ batchId: id, status: "paused" }, `${urn}-${id}`);
          adopted[id] = String(c.outs.status);
          await mailFor(c.id);
        } catch (err) {
          adopted[id] = (err as { code?: string }).code ?? String(err);
        }
      }
    };
    const r = await runBatchesBin([
      "orphans",
      "--api-url",
      proxy.url,
      "--journal",
      journal,
      "--state",
      exportOf([], { apiUrl: proxy.url }),
      "--clear",
      "--yes",
    ]);
    proxy.rules.meanwhile = undefined;
    expect(r.code).toBe(0);
    // The command claimed the first batch before its DELETE: its adoption was refused, having
    // changed nothing; the other was adopted (handed) first, and the command left it alone.
    const cleared = [x, y].filter((id) => r.stdout.includes(`cleared ${id} (was paused)`));
    expect(cleared).toHaveLength(1);
    const kept = [x, y].find((id) => id !== cleared[0]) as string;
    expect(r.stdout).toContain(`${kept}: handed or claimed by another process meanwhile; not touched`);
    expect(adopted).toEqual({ [cleared[0]]: "BATCH_CLAIMED", [kept]: "paused" });
    expect(await deletes()).toEqual(cleared);
    expect(await statusOf(kept)).toBe("paused");
    expect(await deliveredAfterSendTime()).toBe(0);
  });

  test("what changes between the list and the deletes is re-read: a batch resumed meanwhile, or handed to a stack, is not deleted", async () => {
    const [resumed, imported, left] = [
      (await createBatch(client, "paused")).batchId,
      (await createBatch(client, "paused")).batchId,
      (await createBatch(client, "paused")).batchId,
    ];
    const recorded = (await createBatch(client, "paused")).batchId;
    journalOfKilledRun([resumed, imported, left], `${proxy.url}|`);
    let lists = 0;
    proxy.rules.meanwhile = async (req) => {
      if (req.method !== "GET" || req.path !== "/v3/user/scheduled_sends" || ++lists !== 2) return;
      // Between the first list and the re-check: someone resumes one batch, and a `pulumi import` hands another to its stack.
      await fetch(`${sg.url}/v3/user/scheduled_sends/${resumed}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
      });
      fs.appendFileSync(
        journal,
        journalLine(
          { event: "handed", batchId: imported, run: "an-import", host: "ci-runner-8", pid: 1, time: new Date().toISOString() },
          client.journalKey,
        ),
      );
    };
    const r = await runBatchesBin([
      "orphans",
      "--api-url",
      proxy.url,
      "--journal",
      journal,
      "--state",
      exportOf([recorded], { apiUrl: proxy.url }),
      "--clear",
      "--yes",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${imported}: changed since it was listed; not touched`);
    expect(r.stdout).toContain(`${resumed}: changed since it was listed; not touched`);
    expect(r.stdout).toContain(`cleared ${left} (was paused)`);
    // One DELETE by "someone" (the resume), one by the command.
    expect((await deletes()).sort()).toEqual([resumed, left].sort());
    expect(await statusOf(imported)).toBe("paused");
  });
});
