// Adversarial review of "a line is whole or it is not there" (core/journal.ts, issue 22 path 3) at
// the core, with real journal files, a real second process's pid and the emulator. A journal
// reader keeps a byte offset and adds `Buffer.byteLength` of the text it decoded. A line a failed
// write cut inside a multi-byte character (a resource named "café", the disk full mid-line) decodes
// to U+FFFD (3 bytes) where the file holds fewer: the offset runs ahead of the file by the
// difference, and the reader's next read starts inside the next line, which no longer parses and is
// dropped. A long-lived reader (the plugin during one `pulumi up`) then misses a `handed` line that
// another process wrote, sees a batch minted and never handed by a process that is over, and its
// next create takes the batch over: the other stack's held mail is delivered. A fresh reader of the
// same file sees the `handed` line.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, SendGridBatchClient, createBatch, provision, type JournalEntry } from "../core";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { journalLine } from "./support/journalLines";

const sg = useEmulator();

test("a line torn inside a multi-byte character makes a long-lived reader drop the next-but-one line: a handed batch is taken over and its mail delivered", async () => {
  await sg.admin.reset();
  const client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-adv-torn-")), "journal.jsonl");
  // Another `pulumi up` on this machine and journal (Q), running while this one (P) reads.
  const q = spawn("sleep", ["60"], { stdio: "ignore" });
  const qPid = q.pid as number;
  const exited = new Promise((resolve) => q.on("exit", resolve));
  const urn = (name: string) => `urn:pulumi:dev::shop::sendgrid-batch:index:ScheduledBatch::${name}`;
  const byQ = (event: JournalEntry["event"], batchId: string, extra: Partial<JournalEntry> = {}): string =>
    journalLine(
      { event, batchId, run: "q-run", host: os.hostname(), pid: qPid, time: new Date().toISOString(), ...extra },
      client.journalKey,
    );
  try {
    const c = (await createBatch(client, "paused")).batchId;
    const d = (await createBatch(client, "paused")).batchId;
    fs.appendFileSync(file, byQ("minted", c, { account: client.accountKey, resource: urn("orders") }));
    const p = new Journal(file); // P's journal, read incrementally for the whole run
    expect(p.unsettled(client.accountKey, client.journalKey)).toEqual([]); // Q is running: nothing to take

    // Q's create of "café" hits a full disk inside "é" (0xC3 0xA9): the write leaves 0xC3 only.
    const torn = Buffer.from(byQ("minted", "T".repeat(32), { account: client.accountKey, resource: urn("café") }));
    fs.appendFileSync(file, torn.subarray(0, torn.indexOf(Buffer.from("é")) + 1));
    // Space freed, Q goes on: another create, which P reads along with the torn line.
    fs.appendFileSync(file, byQ("minted", d, { account: client.accountKey, resource: urn("invoices") }));
    expect(p.unsettled(client.accountKey, client.journalKey)).toEqual([]);

    // Q hands both ids to its engine, the application mails on "orders", and Q ends.
    fs.appendFileSync(file, byQ("handed", c) + byQ("handed", d));
    const res = await call(sg.emulator, "POST", "/v3/mail/send", {
      body: mail({ batch_id: c, send_at: (await sg.admin.now()) + 7200, subject: "held on orders" }),
    });
    expect(res.status).toBe(202);
    q.kill("SIGKILL");
    await exited;

    // P's next create of "orders" (active) must mint its own batch: every id in the journal was handed.
    const made = await provision(client, { status: "active" }, { journal: p, resource: urn("orders") });
    await sg.admin.advanceClock(3 * 3600);
    expect({
      fresh: new Journal(file)
        .minted(client.journalKey)
        .filter((m) => m.minted.batchId === c || m.minted.batchId === d)
        .map((m) => [m.minted.batchId, m.handed]),
      tookOver: made.batchId === c,
      fates: Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate])),
    }).toEqual({
      fresh: [
        [c, true],
        [d, true],
      ],
      tookOver: false,
      fates: { "held on orders": "scheduled" },
    });
  } finally {
    q.kill("SIGKILL");
  }
});
