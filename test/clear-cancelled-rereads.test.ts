// `sendgrid-batches clear-cancelled` (the built bin) reads the account's list, asks for
// confirmation (an operator may answer minutes later), then DELETEs each batch it listed as
// cancelled and past its send time. It used to DELETE from that first list: a batch paused
// meanwhile (another operator, the application's own tooling holding new mail on it) was DELETEd as
// if it were still cancelled, and DELETE on a paused batch releases its mail, although the stack
// declares the batch `cancelled` (second adversarial review). It now reads the list again right
// before the DELETEs (as `orphans --clear` does) and clears only what is still cancelled and still
// past its send time. What remains: SendGrid has no conditional DELETE, so a change landing between
// that read and the DELETE (one round trip) is not seen.
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const proxy = useSendGridProxy(sg);

afterEach(() => {
  proxy.rules.meanwhile = undefined;
});

test("clear-cancelled whose batch is paused between its list and its DELETEs: the paused batch is not cleared, its mail stays held; the one still cancelled is cleared", async () => {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  const other = await createBatch(sg.emulator);
  for (const b of [id, other]) expect((await setStatus(sg.emulator, b, "cancel")).status).toBe(201);
  // The stack declares both cancelled, their send time a day ago: clearable by the command's rules.
  const state = tempFile(
    "stack.json",
    stackExport([
      { id, sendAt: now - 86_400, status: "cancelled" },
      { id: other, sendAt: now - 86_400, status: "cancelled" },
    ]),
  );
  // While the operator reads the prompt (after the command's first list, before anything else it
  // sends), one batch is paused with mail held on it.
  let listed = false;
  let paused = false;
  proxy.rules.meanwhile = async (req) => {
    if (!listed) {
      listed = req.method === "GET" && req.path === "/v3/user/scheduled_sends";
      return;
    }
    if (paused) return;
    paused = true;
    expect((await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "pause" } })).status).toBe(204);
    const r = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600, subject: "held" }) });
    expect(r.status).toBe(202);
  };
  const r = await runBatchesBin(["clear-cancelled", "--yes", "--state", state, "--api-url", proxy.url]);
  expect(paused).toBe(true);
  const held = (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active";
  const deletes = (await sg.admin.requests()).filter((q) => q.method === "DELETE").map((q) => q.path.split("/").pop());
  await sg.admin.advanceClock(2 * 3600);
  const fates = (await sg.admin.messages()).map((m) => m.fate);
  expect({ code: r.code, held, deletes, fates }).toEqual({ code: 0, held: "paused", deletes: [other], fates: ["scheduled"] });
  expect(r.stdout).toContain(`${id}: changed since it was listed; not touched`);
  expect(r.stdout).toContain(`cleared ${other}`);
});
