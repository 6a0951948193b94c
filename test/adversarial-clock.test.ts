// Adversarial review of `sendgrid-batches clear-cancelled` (the built bin) against the emulator:
// the command decides "the send time has passed" by the operator's machine clock (Date.now), never
// by SendGrid's. A machine whose clock runs ahead of SendGrid's by more than --margin (a laptop or
// a VM resumed from sleep without NTP, a container with a wrong clock) clears a cancelled batch
// whose send time has not come at SendGrid yet: clearing its status releases its mail, which is
// delivered although the stack declares the batch `cancelled`. SendGrid dates every answer (the
// HTTP Date header); the emulator's own clock is what decides each message's fate here.
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";

const sg = useEmulator({ resetBeforeEach: true });
const HOUR = 3600;

test("clear-cancelled on a machine whose clock runs 2 h ahead of SendGrid's: a cancelled batch's mail is not released", async () => {
  // SendGrid's clock: 2 hours behind the machine the operator runs the command on.
  const sendGridNow = await sg.admin.setNow(Math.floor(Date.now() / 1000) - 2 * HOUR);
  // The stack's batch: cancelled, its mail (and its declared sendAt) 30 minutes ahead at SendGrid.
  const sendAt = sendGridNow + 1800;
  const id = await createBatch(sg.emulator);
  expect(
    (await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: sendAt, subject: "cancelled" }) })).status,
  ).toBe(202);
  expect((await setStatus(sg.emulator, id, "cancel")).status).toBe(201);
  const state = tempFile("stack.json", stackExport([{ id, sendAt, status: "cancelled" }]));

  const r = await runBatchesBin(["clear-cancelled", "--yes", "--state", state, "--api-url", sg.url]);
  await sg.admin.advanceClock(HOUR); // past the send time, at SendGrid
  const deletes = (await sg.admin.requests()).filter((q) => q.method === "DELETE").map((q) => q.path);
  expect({
    code: r.code,
    deletes,
    fates: (await sg.admin.messages()).map((m) => m.fate),
  }).toEqual({ code: 0, deletes: [], fates: ["discarded"] });
});
