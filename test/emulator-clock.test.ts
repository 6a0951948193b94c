// The controllable clock and message fates: delivered, discarded, kept while paused, expired 72 h
// after send_at, and delivered at once when an overdue paused batch is resumed.

import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const T0 = 1_900_000_000;
const HOUR = 3600;

/** A batch with one message due one hour after T0. */
async function batchDueInAnHour(): Promise<string> {
  await sg.admin.setNow(T0);
  const id = await createBatch(sg.emulator);
  const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: T0 + HOUR }) });
  expect(res.status).toBe(202);
  return id;
}

async function onlyMessage() {
  const messages = await sg.admin.messages();
  expect(messages).toHaveLength(1);
  return messages[0];
}

test("the clock can be set and advanced, and runs on from there", async () => {
  expect(await sg.admin.setNow(T0)).toBe(T0);
  const advanced = await sg.admin.advanceClock(90);
  expect(advanced).toBeGreaterThanOrEqual(T0 + 90);
  expect(advanced).toBeLessThan(T0 + 95);
  expect(await sg.admin.now()).toBeGreaterThanOrEqual(advanced);
});

test("a reset puts the clock back to real time", async () => {
  await sg.admin.setNow(T0);
  await sg.admin.reset();
  expect(Math.abs((await sg.admin.now()) - Date.now() / 1000)).toBeLessThan(5);
});

test("every answer is dated by the emulator's clock (the Date header), as SendGrid dates its own, errors too", async () => {
  await sg.admin.setNow(T0);
  const ok = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
  const refused = await call(sg.emulator, "GET", "/v3/user/scheduled_sends", { key: null });
  expect([ok.status, refused.status]).toEqual([200, 401]);
  for (const res of [ok, refused]) {
    const dated = Date.parse(res.headers.get("date") ?? "") / 1000;
    expect(dated).toBeGreaterThanOrEqual(T0);
    expect(dated).toBeLessThan(T0 + 5);
  }
});

test("a message stays scheduled until its send_at", async () => {
  await batchDueInAnHour();
  await sg.admin.advanceClock(HOUR - 60);
  expect(await onlyMessage()).toMatchObject({ fate: "scheduled", fateAt: null });
});

test("an active batch's message is delivered at its send_at", async () => {
  await batchDueInAnHour();
  await sg.admin.advanceClock(2 * HOUR);
  expect(await onlyMessage()).toMatchObject({ fate: "delivered", fateAt: T0 + HOUR });
});

test("a cancelled batch's message is discarded at its send_at", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "cancel");
  await sg.admin.advanceClock(2 * HOUR);
  expect(await onlyMessage()).toMatchObject({ fate: "discarded", fateAt: T0 + HOUR });
});

test("a paused batch's message is kept past its send_at", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "pause");
  await sg.admin.advanceClock(10 * HOUR);
  expect(await onlyMessage()).toMatchObject({ fate: "scheduled", fateAt: null });
});

test("a paused message expires 72 hours after its send_at", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "pause");
  await sg.admin.advanceClock(HOUR + 72 * HOUR - 60);
  expect((await onlyMessage()).fate).toBe("scheduled");
  await sg.admin.advanceClock(120);
  expect(await onlyMessage()).toMatchObject({ fate: "expired", fateAt: T0 + HOUR + 72 * HOUR });
});

test("resuming (DELETE) a paused batch whose send_at has passed delivers its mail immediately", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "pause");
  const resumedAt = await sg.admin.advanceClock(5 * HOUR);
  expect((await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${id}`)).status).toBe(204);
  const m = await onlyMessage();
  expect(m.fate).toBe("delivered");
  expect(m.fateAt).toBeGreaterThanOrEqual(resumedAt);
  expect(m.fateAt).toBeLessThan(resumedAt + 5);
});

test("resuming before send_at lets the mail go out at its send_at", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "pause");
  await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${id}`);
  await sg.admin.advanceClock(2 * HOUR);
  expect(await onlyMessage()).toMatchObject({ fate: "delivered", fateAt: T0 + HOUR });
});

test("cancelled messages already discarded stay discarded after the status is deleted", async () => {
  const id = await batchDueInAnHour();
  await setStatus(sg.emulator, id, "cancel");
  await sg.admin.advanceClock(2 * HOUR);
  await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${id}`);
  expect((await onlyMessage()).fate).toBe("discarded");
});

test("seeded messages of a subuser batch follow the subuser's status", async () => {
  await sg.admin.setNow(T0);
  const id = await createBatch(sg.emulator, { onBehalfOf: "subuser-a" });
  const seeded = await sg.admin.seedMessage({ onBehalfOf: "subuser-a", batch_id: id, send_at: T0 + HOUR, to: ["x@example.com"] });
  expect(seeded).toMatchObject({ account: "account-1", onBehalfOf: "subuser-a", batch_id: id, fate: "scheduled" });
  await setStatus(sg.emulator, id, "cancel", { onBehalfOf: "subuser-a" });
  await sg.admin.advanceClock(2 * HOUR);
  expect(await onlyMessage()).toMatchObject({ fate: "discarded", onBehalfOf: "subuser-a" });
});
