// An adoption (core provision, as the plugin calls it) on another host name sharing the journal,
// landing between `orphans --clear`'s claim and its DELETE: the claimer's host name makes it read as
// over, yet its claim is live. An adoption counts every claim whose writer has not ended it (a
// `cleared` line), whatever its liveness, as a create does: it is refused (BATCH_CLAIMED) having
// written nothing and sent nothing, the DELETE clears the batch, and the adoption run again after it
// takes the batch as paused: the mail the program then schedules stays held. From the third
// adversarial review (adversarial3-orphans-remote-adopt), which failed before the fix: the adopter
// handed the id as paused and the DELETE then released it (declared paused, SendGrid active, the
// mail delivered).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Journal, SendGridBatchClient, createBatch, provision } from "../core";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call } from "./support/emulatorCalls";
import { journalLine, killedRunEntry, readJournal } from "./support/journalLines";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

const sg = useEmulator();
const proxy = useSendGridProxy(sg);

test("an adoption on another machine sharing the journal, landing between `orphans --clear`'s claim and its DELETE, is refused (BATCH_CLAIMED) with no line written; run again after the clear, it adopts, and the held mail stays held", async () => {
  await sg.admin.reset();
  const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "remote-adopt-")), "journal.jsonl");
  const client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: proxy.url });
  // A killed run's batch: minted (signed with the account's key), never handed.
  const x = (await createBatch(client, "paused")).batchId;
  const urn = "urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::newsletter";
  fs.appendFileSync(journal, journalLine(killedRunEntry(x, client.accountKey, urn), client.journalKey));

  // The CI runner's provider process (another host name), same journal, same account.
  const runner = new Journal(journal, { writer: { run: "runner-run", host: "ci-runner-9", pid: 77 } });
  const adopt = () =>
    provision(client, { batchId: x, status: "paused" }, { journal: runner, resource: `${urn}-adopted` }).then(
      (made) => made.status,
      (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
    );
  let adopted = "not run";
  proxy.rules.meanwhile = async (req) => {
    if (req.method !== "DELETE" || adopted !== "not run") return;
    // Right before the DELETE (the command has claimed x): the user adopts the printed id, paused.
    adopted = await adopt();
  };
  const doc = stackExport([]);
  const r = await runBatchesBin(
    ["orphans", "--api-url", proxy.url, "--journal", journal, "--state", tempFile("stack.json", doc), "--clear", "--yes"],
    { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  );
  proxy.rules.meanwhile = undefined;
  const runnerLines = () => readJournal(journal).filter((e) => e.run === "runner-run").length;
  expect({ cli: r.code, cleared: r.stdout.includes(`cleared ${x}`), adopted, runnerLines: runnerLines() }).toEqual({
    cli: 0,
    cleared: true,
    adopted: expect.stringMatching(
      new RegExp(
        `^BATCH_CLAIMED: batch ${x} was claimed by another process \\(pid \\d+ on .*\\) to take it over or clear its status, and the journal shows no end of it; not adopted, having sent nothing\\. Wait until that \`sendgrid-batches orphans --clear\` is over .* then run \`pulumi up\` again\\. If it ended without one .*, run \`sendgrid-batches orphans --clear\` with this journal`,
      ),
    ),
    runnerLines: 0,
  });

  // The clear is over (its `cleared` line): the adoption run again takes the batch, paused.
  expect(await adopt()).toBe("paused");
  await sg.admin.seedMessage({ batch_id: x, send_at: (await sg.admin.now()) + 7200, onBehalfOf: null, subject: "held" });
  await sg.admin.advanceClock(3 * 3600);
  expect({
    sendgrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: (await sg.admin.messages()).map((m) => m.fate),
  }).toEqual({ sendgrid: "paused", fates: ["scheduled"] });
});

test("a clear whose DELETE finds the status already gone still ends its claim (`cleared`): an adoption after it is not refused", async () => {
  await sg.admin.reset();
  const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "remote-adopt-")), "journal.jsonl");
  const client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: proxy.url });
  const x = (await createBatch(client, "paused")).batchId;
  const urn = "urn:pulumi:dev::p::sendgrid-batch:index:ScheduledBatch::newsletter";
  fs.appendFileSync(journal, journalLine(killedRunEntry(x, client.accountKey, urn), client.journalKey));
  let gone = false;
  proxy.rules.meanwhile = async (req) => {
    if (req.method !== "DELETE" || gone) return;
    // Someone clears the status first (by hand, another tool): the command's DELETE finds none.
    gone = (await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${x}`)).status === 204;
  };
  const r = await runBatchesBin(
    ["orphans", "--api-url", proxy.url, "--journal", journal, "--state", tempFile("stack.json", stackExport([])), "--clear", "--yes"],
    { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  );
  proxy.rules.meanwhile = undefined;
  expect({ gone, cli: r.code, said: r.stdout.includes(`${x}: already has no status`) }).toEqual({ gone: true, cli: 0, said: true });
  expect(readJournal(journal).map((e) => e.event)).toEqual(["minted", "claimed", "cleared"]);
  const runner = new Journal(journal, { writer: { run: "runner-run", host: "ci-runner-9", pid: 77 } });
  await expect(provision(client, { batchId: x, status: "paused" }, { journal: runner, resource: `${urn}-adopted` })).resolves.toMatchObject(
    {
      status: "paused",
    },
  );
});
