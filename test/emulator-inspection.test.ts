// The inspection API (/__emulator/) through EmulatorAdmin, the request log's secrecy, run-time
// configuration, reset, and the server's lifecycle.

import { Agent, request } from "node:http";
import { DEFAULT_CONFIG, DEFAULT_EMULATOR_API_KEY, EmulatorAdmin, EmulatorAdminError, startEmulator } from "../emulator";
import { call, createBatch, KEY, mail, setStatus } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });

describe("request log", () => {
  test("records each /v3 request with seq, method, path, route, status, account and on-behalf-of", async () => {
    const id = await createBatch(sg.emulator);
    await setStatus(sg.emulator, id, "pause", { onBehalfOf: "subuser-a" });
    await call(sg.emulator, "GET", "/v3/nowhere");
    const log = await sg.admin.requests();
    expect(log.map((r) => [r.seq, r.method, r.path, r.route, r.status, r.account, r.onBehalfOf])).toEqual([
      [1, "POST", "/v3/mail/batch", "/v3/mail/batch", 201, "account-1", null],
      [2, "POST", "/v3/user/scheduled_sends", "/v3/user/scheduled_sends", 400, "account-1", "subuser-a"],
      [3, "GET", "/v3/nowhere", null, 404, "account-1", null],
    ]);
    expect(log[1].body).toEqual({ batch_id: id, status: "pause" });
    expect(log[1].headers["on-behalf-of"]).toBe("subuser-a");
    expect(log[1].fault).toBeNull();
    expect(typeof log[0].clock).toBe("number");
    expect(new Date(log[0].time).getTime()).toBeGreaterThan(0);
  });

  test("never contains an API key, accepted or rejected", async () => {
    const rejected = "SG.a-key-the-emulator-does-not-know-000000000000000000000000000000000";
    await createBatch(sg.emulator);
    await call(sg.emulator, "POST", "/v3/mail/send", { body: mail() });
    await call(sg.emulator, "GET", "/v3/user/scheduled_sends", { key: rejected });
    const log = await sg.admin.requests();
    expect(log).toHaveLength(3);
    const text = JSON.stringify(log);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(rejected);
    expect(text.toLowerCase()).not.toContain("authorization");
    expect(log[2]).toMatchObject({ status: 401, account: null });
  });

  test("does not record inspection calls, and can be cleared", async () => {
    await createBatch(sg.emulator);
    await sg.admin.batches();
    expect(await sg.admin.requests()).toHaveLength(1);
    await sg.admin.clearRequests();
    expect(await sg.admin.requests()).toEqual([]);
  });
});

describe("configuration and reset", () => {
  test("config starts from the options and defaults (quota 10, reject late changes, [] single read)", async () => {
    expect(await sg.admin.config()).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      maxPausedOrCancelled: 10,
      lateChange: "reject",
      singleReadWithoutStatus: "empty",
      rateLimit: false,
      faults: false,
    });
  });

  test("PUT config changes the quota at run time", async () => {
    expect(await sg.admin.configure({ maxPausedOrCancelled: 1 })).toMatchObject({ maxPausedOrCancelled: 1 });
    await setStatus(sg.emulator, await createBatch(sg.emulator), "pause");
    expect((await setStatus(sg.emulator, await createBatch(sg.emulator), "pause")).status).toBe(400);
  });

  test("PUT config refuses bad settings with 400 and changes nothing", async () => {
    const err = await sg.admin.configure({ maxPausedOrCancelled: -1, lateChange: "sometimes" } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorAdminError);
    expect((err as EmulatorAdminError).status).toBe(400);
    expect((err as EmulatorAdminError).body?.errors.map((e) => e.message)).toEqual([
      "maxPausedOrCancelled must be an integer ≥ 0",
      "lateChange must be reject or accept",
    ]);
    expect(await sg.admin.config()).toEqual(DEFAULT_CONFIG);
  });

  test("reset clears batches, messages, log and config", async () => {
    await sg.admin.configure({ lateChange: "accept" });
    const id = await createBatch(sg.emulator);
    await sg.admin.seedMessage({ batch_id: id, send_at: (await sg.admin.now()) + 3600 });
    await sg.admin.reset();
    expect(await sg.admin.batches()).toEqual([]);
    expect(await sg.admin.messages()).toEqual([]);
    expect(await sg.admin.requests()).toEqual([]);
    expect(await sg.admin.config()).toEqual(DEFAULT_CONFIG);
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${id}`)).status).toBe(400);
  });

  test("info lists accounts, subusers, the clock and the config", async () => {
    const info = await sg.admin.info();
    expect(info).toMatchObject({ accounts: ["account-1"], subusers: ["subuser-a", "subuser-b"], config: DEFAULT_CONFIG });
    expect(typeof info.now).toBe("number");
  });
});

describe("seeding messages", () => {
  test("refuses a batch of another scope, an unknown account or subuser, and a bad send_at", async () => {
    const id = await createBatch(sg.emulator);
    const now = await sg.admin.now();
    const cases = [
      { batch_id: id, send_at: now, onBehalfOf: "subuser-a" },
      { batch_id: id, send_at: now, account: "account-9" },
      { batch_id: id, send_at: now, onBehalfOf: "nobody" },
      { batch_id: id, send_at: "later" as unknown as number },
    ];
    for (const input of cases) await expect(sg.admin.seedMessage(input)).rejects.toMatchObject({ status: 400 });
    expect(await sg.admin.messages()).toEqual([]);
  });

  test("the clock refuses a body with neither advanceSeconds nor now", async () => {
    const res = await fetch(`${sg.emulator.url}/__emulator/clock`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
  });

  test("an unknown inspection route is 404 and a wrong method 405", async () => {
    expect((await fetch(`${sg.emulator.url}/__emulator/nothing`)).status).toBe(404);
    expect((await fetch(`${sg.emulator.url}/__emulator/batches`, { method: "DELETE" })).status).toBe(405);
  });
});

describe("lifecycle", () => {
  test("refuses a non-loopback host unless allowed", async () => {
    await expect(startEmulator({ host: "0.0.0.0" })).rejects.toThrow(/non-loopback/);
  });

  test("refuses invalid options", async () => {
    await expect(startEmulator({ rateLimit: { limit: 0, windowSeconds: 1 } })).rejects.toThrow(/rateLimit/);
    await expect(startEmulator({ apiKeys: [] })).rejects.toThrow(/apiKeys/);
  });

  test("the default key looks like a real SendGrid key (69 characters, SG. prefix)", () => {
    expect(DEFAULT_EMULATOR_API_KEY).toHaveLength(69);
    expect(DEFAULT_EMULATOR_API_KEY).toMatch(/^SG\.[\w-]{22}\.[\w-]{43}$/);
  });

  test("close() ends promptly even with an idle keep-alive connection, and the port is released", async () => {
    const e = await startEmulator({ now: 1_900_000_000 });
    expect(e.url).toBe(`http://127.0.0.1:${e.port}`);
    expect(await new EmulatorAdmin(e.url).now()).toBeGreaterThanOrEqual(1_900_000_000);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${e.url}/__emulator/clock`, { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    const started = Date.now();
    await e.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`${e.url}/__emulator/clock`)).rejects.toThrow();
  });
});
