// What SendGrid does not document, and how the emulator lets a recording of the real API override
// its guesses: the 10-minute boundary to the second, PATCH to the same status, malformed ids on
// each route, the late-change answer; and the CLI flags that set them.

import { EMULATOR_MESSAGES, startEmulator, type UndocumentedReplies } from "../emulator";
import { optionsFromArgs } from "../emulator/cli";
import { SENDGRID_LIMITS, SENDGRID_MESSAGES } from "../core";
import { call, createBatch, mail, setStatus, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const T0 = 1_900_000_000;
const MALFORMED = encodeURIComponent("not a batch id!");
const UNKNOWN = "NeverCreated0000000000000000000a";

async function batchSendingAt(sendAt: number): Promise<string> {
  const id = await createBatch(sg.emulator);
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: sendAt }) })).status).toBe(202);
  return id;
}

describe("the 10-minute rule at its boundary (SendGrid: no later than 10 minutes before send_at)", () => {
  test("pausing exactly 600 s before send_at is allowed; 599 s before is refused", async () => {
    await sg.admin.setNow(T0);
    const onTime = await batchSendingAt(T0 + SENDGRID_LIMITS.cutoffSeconds);
    const late = await batchSendingAt(T0 + SENDGRID_LIMITS.cutoffSeconds - 1);
    expect((await setStatus(sg.emulator, onTime, "pause")).status).toBe(201);
    const refused = await setStatus(sg.emulator, late, "pause");
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual(sgError(EMULATOR_MESSAGES.tooLate, "batch_id"));
  });

  test("switching pause → cancel exactly 600 s before send_at is allowed", async () => {
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 3600);
    await setStatus(sg.emulator, id, "pause");
    await sg.admin.setNow(T0 + 3600 - SENDGRID_LIMITS.cutoffSeconds);
    expect((await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "cancel" } })).status).toBe(204);
  });
});

describe("default guesses", () => {
  test("PATCH to the status a batch already has → 204, nothing changes", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause");
    expect((await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "pause" } })).status).toBe(204);
    expect((await sg.admin.batches())[0].status).toBe("paused");
  });

  test("a malformed id is answered like any unknown id on every route", async () => {
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${MALFORMED}`)).json).toEqual(sgError(SENDGRID_MESSAGES.invalidBatchId));
    expect((await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${MALFORMED}`)).json).toEqual([]);
    expect((await setStatus(sg.emulator, "not a batch id!", "pause")).json).toEqual(sgError(SENDGRID_MESSAGES.invalidBatchId, "batch_id"));
    const patch = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${MALFORMED}`, { body: { status: "pause" } });
    expect([patch.status, patch.json]).toEqual([404, sgError(SENDGRID_MESSAGES.batchIdNotFound)]);
    const del = await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${MALFORMED}`);
    expect([del.status, del.json]).toEqual([404, sgError(SENDGRID_MESSAGES.batchIdNotFound)]);
  });
});

describe("switches: a recorded answer replaces the guess", () => {
  const bad = (message: string) => ({ status: 400, body: sgError(message) });

  test("samePatch: PATCH to the same status answers as configured and still changes nothing", async () => {
    await sg.admin.configure({ undocumented: { samePatch: bad("status already pause") } });
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause");
    const res = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "pause" } });
    expect([res.status, res.json]).toEqual([400, sgError("status already pause")]);
    // A real switch still answers 204.
    expect((await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${id}`, { body: { status: "cancel" } })).status).toBe(204);
  });

  test("malformedId.<route>: each route answers a malformed id as configured; well-formed unknown ids keep the documented answers", async () => {
    const replies: UndocumentedReplies = {
      "malformedId.validate": bad("invalid batch id format"),
      "malformedId.read": { status: 404, body: sgError("not found") },
      "malformedId.create": bad("batch_id is malformed"),
      "malformedId.update": { status: 400, body: sgError("bad id", "batch_id") },
      "malformedId.delete": { status: 204 },
    };
    await sg.admin.configure({ undocumented: replies });
    const got = [
      await call(sg.emulator, "GET", `/v3/mail/batch/${MALFORMED}`),
      await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${MALFORMED}`),
      await setStatus(sg.emulator, "not a batch id!", "pause"),
      await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${MALFORMED}`, { body: { status: "pause" } }),
      await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${MALFORMED}`),
    ].map((r) => ({ status: r.status, body: r.json }));
    expect(got).toEqual(Object.values(replies).map((r) => ({ status: r.status, body: r.body })));

    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${UNKNOWN}`)).json).toEqual(sgError(SENDGRID_MESSAGES.invalidBatchId));
    expect((await call(sg.emulator, "GET", `/v3/user/scheduled_sends/${UNKNOWN}`)).json).toEqual([]);
    expect((await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${UNKNOWN}`)).status).toBe(404);
  });

  test("lateChange: a late pause answers as configured and the batch keeps no status", async () => {
    await sg.admin.configure({
      undocumented: { lateChange: { status: 400, body: sgError("cannot cancel a send this close to send_at") } },
    });
    await sg.admin.setNow(T0);
    const id = await batchSendingAt(T0 + 60);
    expect((await setStatus(sg.emulator, id, "pause")).json).toEqual(sgError("cannot cancel a send this close to send_at"));
    expect((await sg.admin.batches())[0].status).toBe("active");
  });

  test("bad switch settings are refused at start and at run time", async () => {
    await expect(startEmulator({ undocumented: { samePatch: { status: 42 } } })).rejects.toThrow(
      "undocumented.samePatch must be { status: integer 200..599, body?: JSON }",
    );
    const err = await sg.admin.configure({ undocumented: { sometimes: { status: 400 } } } as never).catch((e: Error) => e.message);
    expect(err).toMatch(/undocumented\.sometimes is not one of lateChange, samePatch, malformedId\.validate/);
  });
});

describe("sendgrid-emulator flags", () => {
  test.each([
    ["--max-paused", "1.5"],
    ["--max-paused", "-1"],
    ["--max-paused", "1e3"],
    ["--max-paused", ""],
    ["--port", "70000"],
    ["--rate-limit", "0"],
    ["--rate-window", "0.5"],
    ["--now", "1.9e9"],
    ["--slow-ms", "-5"],
  ])("%s %j is refused with a clear error", (flag, value) => {
    expect(() => optionsFromArgs([`${flag}=${value}`])).toThrow(
      new RegExp(`^${flag} must be a whole number (≥|in) .*got "${value.replace(".", "\\.")}"$`),
    );
  });

  test("whole numbers pass; --fault-rate is a probability", () => {
    expect(optionsFromArgs(["--max-paused", "0", "--port", "3030", "--fault-rate", "0.25"])).toMatchObject({
      maxPausedOrCancelled: 0,
      port: 3030,
      faults: { rate: 0.25 },
    });
    expect(() => optionsFromArgs(["--fault-rate", "1.5"])).toThrow('--fault-rate must be a number in 0..1, got "1.5"');
  });

  test("--undocumented CASE=STATUS[:BODY] sets a recorded answer (message, JSON or empty)", () => {
    const options = optionsFromArgs([
      "--undocumented",
      "samePatch=400:status already set",
      "--undocumented",
      "malformedId.read=200:[]",
      "--undocumented",
      "malformedId.delete=204",
    ]);
    expect(options).toMatchObject({
      undocumented: {
        samePatch: { status: 400, body: sgError("status already set") },
        "malformedId.read": { status: 200, body: [] },
        "malformedId.delete": { status: 204 },
      },
    });
    expect(() => optionsFromArgs(["--undocumented", "sometimes=400"])).toThrow(/--undocumented must be CASE=STATUS\[:BODY\]/);
  });
});
