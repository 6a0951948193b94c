// Cancel Scheduled Sends endpoints: every success and error body, the 10-batch quota and the
// 10-minute cut-off, over real HTTP.

import { EMULATOR_MESSAGES, startEmulator } from "../emulator";
import { call, createBatch, mail, setStatus, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const T0 = 1_900_000_000;

describe("POST /v3/user/scheduled_sends", () => {
  test("pausing a batch answers 201 with the echo and lists it", async () => {
    const id = await createBatch(sg.emulator);
    const res = await setStatus(sg.emulator, id, "pause");
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ batch_id: id, status: "pause" });
    expect((await sg.admin.batches())[0].status).toBe("paused");
  });

  test("cancelling a batch answers 201 and marks it cancelled", async () => {
    const id = await createBatch(sg.emulator);
    expect((await setStatus(sg.emulator, id, "cancel")).json).toEqual({ batch_id: id, status: "cancel" });
    expect((await sg.admin.batches())[0].status).toBe("cancelled");
  });

  test("an id the account never created → 400 field batch_id 'invalid batch id'", async () => {
    const res = await setStatus(sg.emulator, "NeverCreated0000000000000000000a", "pause");
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("invalid batch id", "batch_id"));
  });

  test("a batch that already has a status → 400 'a status for this batch id exists, try PATCH to update the status'", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause");
    const res = await setStatus(sg.emulator, id, "cancel");
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("a status for this batch id exists, try PATCH to update the status", "batch_id"));
    expect((await sg.admin.batches())[0].status).toBe("paused");
  });

  test.each([
    ["a status outside the enum", { status: "stop" }, EMULATOR_MESSAGES.statusInvalid, "status"],
    ["no status", {}, EMULATOR_MESSAGES.statusRequired, "status"],
  ])("%s → 400 with field status", async (_what, extra, message, field) => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "POST", "/v3/user/scheduled_sends", { body: { batch_id: id, ...extra } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(message, field));
    expect((await sg.admin.batches())[0].status).toBe("active");
  });

  test.each([
    ["no batch_id", { status: "pause" }, EMULATOR_MESSAGES.batchIdRequired],
    ["a numeric batch_id", { batch_id: 42, status: "pause" }, EMULATOR_MESSAGES.batchIdNotString],
  ])("%s → 400 with field batch_id", async (_what, body, message) => {
    const res = await call(sg.emulator, "POST", "/v3/user/scheduled_sends", { body });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(message, "batch_id"));
  });

  test("a body that is not JSON → 400 with field null", async () => {
    const res = await call(sg.emulator, "POST", "/v3/user/scheduled_sends", {
      raw: "batch_id=x",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.invalidJson));
  });
});

describe("GET /v3/user/scheduled_sends", () => {
  test("lists only batches with a status, in the order they were set; [] when none", async () => {
    expect((await call(sg.emulator, "GET", "/v3/user/scheduled_sends")).json).toEqual([]);
    const [a, b, c] = [await createBatch(sg.emulator), await createBatch(sg.emulator), await createBatch(sg.emulator)];
    await setStatus(sg.emulator, c, "cancel");
    await setStatus(sg.emulator, a, "pause");
    const res = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      { batch_id: c, status: "cancel" },
      { batch_id: a, status: "pause" },
    ]);
    expect(JSON.stringify(res.json)).not.toContain(b);
  });

  test("lists only the calling scope's statuses (parent vs subuser)", async () => {
    const mine = await createBatch(sg.emulator);
    const theirs = await createBatch(sg.emulator, { onBehalfOf: "subuser-a" });
    await setStatus(sg.emulator, mine, "pause");
    await setStatus(sg.emulator, theirs, "cancel", { onBehalfOf: "subuser-a" });
    expect((await call(sg.emulator, "GET", "/v3/user/scheduled_sends")).json).toEqual([{ batch_id: mine, status: "pause" }]);
    expect((await call(sg.emulator, "GET", "/v3/user/scheduled_sends", { onBehalfOf: "subuser-a" })).json).toEqual([
      { batch_id: theirs, status: "cancel" },
    ]);
  });

  test("a subuser cannot pause the parent's batch ('invalid batch id')", async () => {
    const id = await createBatch(sg.emulator);
    const res = await setStatus(sg.emulator, id, "pause", { onBehalfOf: "subuser-a" });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("invalid batch id", "batch_id"));
  });
});

describe("GET /v3/user/scheduled_sends/{batch_id}", () => {
  test("answers an array with the batch's status", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "cancel");
    const res = await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([{ batch_id: id, status: "cancel" }]);
  });

  test("answers [] for a batch without status by default", async () => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([]);
  });

  test("answers 404 'batch id not found' for a batch without status when configured so", async () => {
    const other = await startEmulator({ singleReadWithoutStatus: "404" });
    try {
      const id = await createBatch(other);
      const res = await call(other, "GET", `/v3/user/scheduled_sends/${id}`);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(sgError("batch id not found"));
    } finally {
      await other.close();
    }
  });
});

describe("PATCH /v3/user/scheduled_sends/{batch_id}", () => {
  test("switches pause to cancel with 204 and an empty body", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause");
    const res = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "cancel" } });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${id}`)).json).toEqual([{ batch_id: id, status: "cancel" }]);
  });

  test("a batch without status → 404 'batch id not found', status unchanged", async () => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "pause" } });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(sgError("batch id not found"));
    expect((await sg.admin.batches())[0].status).toBe("active");
  });

  test("an invalid status → 400 field status", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause");
    const res = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "resume" } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.statusInvalid, "status"));
  });
});

describe("DELETE /v3/user/scheduled_sends/{batch_id}", () => {
  test("removes the status with 204; the batch is active and unlisted", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "cancel");
    const res = await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${id}`, { headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await call(sg.emulator, "GET", "/v3/user/scheduled_sends")).json).toEqual([]);
    expect((await sg.admin.batches())[0].status).toBe("active");
  });

  test("a batch without status → 404 'batch id not found'", async () => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${id}`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual(sgError("batch id not found"));
  });
});

describe("quota: at most 10 batches paused or cancelled at once", () => {
  test("the 11th status is refused with 400 'max limit reached' (field null) until one is DELETEd", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push(await createBatch(sg.emulator));
    for (let i = 0; i < 10; i++) expect((await setStatus(sg.emulator, ids[i], i % 2 ? "pause" : "cancel")).status).toBe(201);
    const refused = await setStatus(sg.emulator, ids[10], "pause");
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual(sgError("max limit reached"));
    expect(await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${ids[0]}`)).toMatchObject({ status: 204 });
    expect((await setStatus(sg.emulator, ids[10], "pause")).status).toBe(201);
  });

  test("a cancelled batch keeps its slot after its send_at has passed", async () => {
    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    await sg.admin.setNow(T0);
    const id = await createBatch(sg.emulator);
    await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: T0 + 3600 }) });
    await setStatus(sg.emulator, id, "cancel");
    await sg.admin.advanceClock(2 * 3600);
    expect((await sg.admin.messages())[0].fate).toBe("discarded");
    const other = await createBatch(sg.emulator);
    expect((await setStatus(sg.emulator, other, "pause")).json).toEqual(sgError("max limit reached"));
  });

  test("the quota counts per scope: a subuser has its own 10", async () => {
    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    await setStatus(sg.emulator, await createBatch(sg.emulator), "pause");
    const sub = await createBatch(sg.emulator, { onBehalfOf: "subuser-a" });
    expect((await setStatus(sg.emulator, sub, "pause", { onBehalfOf: "subuser-a" })).status).toBe(201);
  });
});

describe("10-minute cut-off", () => {
  async function batchSendingAt(sendAt: number): Promise<string> {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: sendAt }) });
    expect(res.status).toBe(202);
    return id;
  }

  test("pausing 9 minutes before the earliest send_at → 400 field batch_id mentioning 10 minutes", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 9 * 60);
    const res = await setStatus(sg.emulator, id, "pause");
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.tooLate, "batch_id"));
    expect(EMULATOR_MESSAGES.tooLate).toMatch(/10 minutes/);
    expect((await sg.admin.batches())[0].status).toBe("active");
  });

  test("the earliest of several messages counts", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 3600);
    await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: T0 + 3600 }, { send_at: T0 + 300 }) });
    expect((await setStatus(sg.emulator, id, "cancel")).status).toBe(400);
  });

  test("cancelling 11 minutes before send_at is accepted", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 11 * 60);
    expect((await setStatus(sg.emulator, id, "cancel")).status).toBe(201);
  });

  test("PATCH within 10 minutes of a pending send_at is refused too", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 3600);
    await setStatus(sg.emulator, id, "pause");
    await sg.admin.advanceClock(3600 - 5 * 60);
    const res = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "cancel" } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.tooLate, "batch_id"));
    expect((await sg.admin.batches())[0].status).toBe("paused");
  });

  test("a paused batch whose mail is overdue (held) can still be switched to cancel", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 3600);
    await setStatus(sg.emulator, id, "pause");
    await sg.admin.advanceClock(2 * 3600);
    expect((await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "cancel" } })).status).toBe(204);
    const [message] = await sg.admin.messages();
    expect(message.fate).toBe("discarded");
    // Discarded when the status changed (the clock runs with real time, hence the small range).
    expect(message.fateAt).toBeGreaterThanOrEqual(T0 + 2 * 3600);
    expect(message.fateAt).toBeLessThan(T0 + 2 * 3600 + 5);
  });

  test("with lateChange 'accept' a late pause is taken (SendGrid: 'not guaranteed')", async () => {
    await sg.admin.configure({ lateChange: "accept" });
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 60);
    expect((await setStatus(sg.emulator, id, "pause")).status).toBe(201);
  });

  test("a batch without messages has no cut-off", async () => {
    expect((await setStatus(sg.emulator, await createBatch(sg.emulator), "pause")).status).toBe(201);
  });
});
