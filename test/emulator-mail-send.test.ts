// POST /v3/mail/send: the scheduling fields (batch_id, send_at), their documented errors, and the
// messages the emulator keeps.

import { EMULATOR_MESSAGES } from "../emulator";
import { call, createBatch, mail, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const T0 = 1_900_000_000;

beforeEach(async () => {
  await sg.admin.setNow(T0);
});

describe("accepted sends", () => {
  test("answers 202 with an empty body and keeps one scheduled message per personalization", async () => {
    const id = await createBatch(sg.emulator);
    const body = mail({ batch_id: id, send_at: T0 + 3600 });
    (body.personalizations as unknown[]).push({ to: [{ email: "bo@example.com" }], send_at: T0 + 7200, subject: "Later" });
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body });
    expect(res.status).toBe(202);
    expect(res.text).toBe("");
    const messages = await sg.admin.messages();
    expect(messages.map((m) => [m.batch_id, m.send_at, m.fate, m.to, m.subject, m.account])).toEqual([
      [id, T0 + 3600, "scheduled", ["ada@example.com"], "Launch", "account-1"],
      [id, T0 + 7200, "scheduled", ["bo@example.com"], "Later", "account-1"],
    ]);
  });

  test("a send_at in the past is accepted and delivered at once", async () => {
    expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: T0 - 60 }) })).status).toBe(202);
    const [m] = await sg.admin.messages();
    expect(m).toMatchObject({ batch_id: null, send_at: T0 - 60, fate: "delivered" });
    expect(m.fateAt).toBeGreaterThanOrEqual(T0);
  });

  test("a send without send_at is delivered immediately", async () => {
    await call(sg.emulator, "POST", "/v3/mail/send", { body: mail() });
    expect((await sg.admin.messages())[0].fate).toBe("delivered");
  });

  test("carries no X-RateLimit headers even with rate limiting on", async () => {
    await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) {
      const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail() });
      expect(res.status).toBe(202);
      expect([...res.headers.keys()].filter((h) => h.startsWith("x-ratelimit"))).toEqual([]);
    }
  });

  test("ignores on-behalf-of: the message belongs to the key's account, so a subuser's batch id is unknown", async () => {
    const subBatch = await createBatch(sg.emulator, { onBehalfOf: "subuser-a" });
    const res = await call(sg.emulator, "POST", "/v3/mail/send", {
      body: mail({ batch_id: subBatch, send_at: T0 + 3600 }),
      onBehalfOf: "subuser-a",
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.mailSendUnknownBatch, "batch_id"));
    expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail(), onBehalfOf: "unknown-subuser" })).status).toBe(202);
    expect((await sg.admin.messages())[0]).toMatchObject({ account: "account-1", onBehalfOf: null });
  });
});

describe("rejected sends", () => {
  test("a batch_id never created → 400 field batch_id 'invalid batch id', nothing kept", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: "NotFromMailBatch000000000000000a" }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.mailSendUnknownBatch, "batch_id"));
    expect(await sg.admin.messages()).toEqual([]);
  });

  test("a non-string batch_id → 'The batch_id must be a string.'", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: 12345 }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("The batch_id must be a string.", "batch_id"));
  });

  test.each([
    ["a string", "1900000000"],
    ["a fraction", 1900000000.5],
  ])("send_at as %s → the documented 'expecting a UNIX timestamp as an integer' message", async (_what, sendAt) => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: sendAt }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(
      sgError(
        "The send_at parameter is expecting a UNIX timestamp as an integer. We will send immediately if you include a send_at timestamp that is in the past.",
        "send_at",
      ),
    );
  });

  test("send_at more than 72 hours ahead → 'Scheduling more than 72 hours in advance is forbidden.'", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: T0 + 72 * 3600 + 60 }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("Scheduling more than 72 hours in advance is forbidden.", "send_at"));
  });

  test("send_at exactly 72 hours ahead is accepted", async () => {
    expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: T0 + 72 * 3600 }) })).status).toBe(202);
  });

  test("send_at in milliseconds (Date.now()) lands beyond 72 hours and is refused", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: T0 * 1000 }) });
    expect(res.json).toEqual(sgError("Scheduling more than 72 hours in advance is forbidden.", "send_at"));
  });

  test("a personalization's send_at overrides the top level and is checked on its own", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ send_at: T0 + 60 }, { send_at: T0 + 100 * 3600 }) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("Scheduling more than 72 hours in advance is forbidden.", "personalizations.send_at"));
  });

  test("reports every problem at once", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: { batch_id: 7, send_at: "soon", personalizations: [] } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errors: [
        { field: "batch_id", message: "The batch_id must be a string." },
        {
          field: "send_at",
          message:
            "The send_at parameter is expecting a UNIX timestamp as an integer. We will send immediately if you include a send_at timestamp that is in the past.",
        },
        { field: "personalizations", message: EMULATOR_MESSAGES.personalizationsRequired },
        { field: "from", message: EMULATOR_MESSAGES.fromRequired },
      ],
    });
  });

  test("requires the key like every /v3 endpoint", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail(), key: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(sgError("authorization required"));
  });
});
