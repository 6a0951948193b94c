// `sendgrid-batches clear-cancelled` through the built bin against the emulator, with real mail on
// the emulator's clock: clearing a cancelled batch's status sends whatever mail of it is still
// scheduled, and SendGrid does not report a batch's send times. So the command decides by the
// latest time any source gives (every --state file, every --sent), refuses when they disagree
// unless told which to trust, keeps the --margin, and says that later mail would be sent.

import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";

const sg = useEmulator({ resetBeforeEach: true });

const HOUR = 3600;
/** This machine's clock, which the bin decides by (Unix seconds). */
const realNow = () => Math.floor(Date.now() / 1000);

/**
 * A batch cancelled `ahead` seconds or more before its first mail, with one message at each of
 * `sendAts` (Unix seconds): the emulator's clock is set back to make the sends and the cancel
 * lawful at the time, then put at `clockAt`.
 */
async function cancelledBatchWithMail(sendAts: number[], clockAt: number): Promise<string> {
  await sg.admin.setNow(Math.min(...sendAts) - 2 * 600);
  const id = await createBatch(sg.emulator);
  for (const sendAt of sendAts) {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: sendAt }) });
    expect(res.status).toBe(202);
  }
  expect((await setStatus(sg.emulator, id, "cancel")).status).toBe(201);
  await sg.admin.setNow(clockAt);
  await sg.admin.clearRequests();
  return id;
}

const fates = async (id: string) =>
  (await sg.admin.messages()).filter((m) => m.batch_id === id).map((m) => `${new Date(m.send_at * 1000).toISOString()} ${m.fate}`);
const deletes = async () => (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path);

test("a stack export written with a byte-order mark is read (PowerShell's `>` writes one)", async () => {
  const now = realNow();
  const id = await cancelledBatchWithMail([now - 2 * HOUR], now);
  const state = tempFile("stack.json", `\uFEFF${JSON.stringify(stackExport([{ id, sendAt: now - 2 * HOUR, status: "cancelled" }]))}`);
  const r = await runBatchesBin(["clear-cancelled", "--yes", "--state", state, "--api-url", sg.url]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`cleared ${id}`);
  expect(await deletes()).toEqual([`/v3/user/scheduled_sends/${id}`]);
});
