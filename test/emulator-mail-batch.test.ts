// Mail Batch endpoints, authentication, on-behalf-of scoping and routing errors, over real HTTP.

import { call, createBatch, KEY, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true, apiKeys: [KEY, "SG.second-account-key"] });

describe("POST /v3/mail/batch", () => {
  test("mints a 32-character URL-safe batch id with 201 and a JSON body", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/batch");
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    const { batch_id } = res.json as { batch_id: string };
    expect(batch_id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{31}$/);
    expect(Object.keys(res.json as object)).toEqual(["batch_id"]);
  });

  test("every call mints a different id, recorded for the key's account", async () => {
    const a = await createBatch(sg.emulator);
    const b = await createBatch(sg.emulator);
    expect(a).not.toBe(b);
    expect((await sg.admin.batches()).map((x) => [x.batch_id, x.account, x.onBehalfOf, x.status])).toEqual([
      [a, "account-1", null, "active"],
      [b, "account-1", null, "active"],
    ]);
  });
});

describe("GET /v3/mail/batch/{batch_id}", () => {
  test("echoes a batch id this account created with 200", async () => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "GET", `/v3/mail/batch/${id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ batch_id: id });
  });

  test("answers 400 'invalid batch id' with field null for an id never created", async () => {
    const res = await call(sg.emulator, "GET", "/v3/mail/batch/HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi");
    expect(res.status).toBe(400);
    expect(res.json).toEqual(sgError("invalid batch id"));
  });

  test("accepts Content-Type: application/json on a body-less GET, as @sendgrid/client sends it", async () => {
    const id = await createBatch(sg.emulator);
    const res = await call(sg.emulator, "GET", `/v3/mail/batch/${id}`, { headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(200);
  });
});

describe("account scoping", () => {
  test("a subuser's batch is invalid for the parent account", async () => {
    const id = await createBatch(sg.emulator, { onBehalfOf: "subuser-a" });
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${id}`, { onBehalfOf: "subuser-a" })).status).toBe(200);
    const parent = await call(sg.emulator, "GET", `/v3/mail/batch/${id}`);
    expect(parent.status).toBe(400);
    expect(parent.json).toEqual(sgError("invalid batch id"));
  });

  test("the parent's batch is invalid for its subuser and for a sibling subuser's batch", async () => {
    const parentBatch = await createBatch(sg.emulator);
    const siblingBatch = await createBatch(sg.emulator, { onBehalfOf: "subuser-b" });
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${parentBatch}`, { onBehalfOf: "subuser-a" })).status).toBe(400);
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${siblingBatch}`, { onBehalfOf: "subuser-a" })).status).toBe(400);
    const views = await sg.admin.batches();
    expect(views.find((b) => b.batch_id === siblingBatch)).toMatchObject({ account: "account-1", onBehalfOf: "subuser-b" });
  });

  test("a batch of another API key's account is invalid", async () => {
    const id = await createBatch(sg.emulator, { key: "SG.second-account-key" });
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${id}`)).status).toBe(400);
    expect((await call(sg.emulator, "GET", `/v3/mail/batch/${id}`, { key: "SG.second-account-key" })).status).toBe(200);
    expect((await sg.admin.batches())[0].account).toBe("account-2");
  });

  test("an unknown on-behalf-of subuser is refused with 403 'access forbidden'", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/batch", { onBehalfOf: "stranger" });
    expect(res.status).toBe(403);
    expect(res.json).toEqual(sgError("access forbidden"));
    expect(await sg.admin.batches()).toEqual([]);
  });
});

describe("authentication", () => {
  test("no Authorization header → 401 'authorization required'", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/batch", { key: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(sgError("authorization required"));
  });

  test("a non-Bearer Authorization header → 401 'authorization required'", async () => {
    const res = await call(sg.emulator, "GET", "/v3/user/scheduled_sends", { key: null, headers: { Authorization: `Basic ${KEY}` } });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(sgError("authorization required"));
  });

  test("an unknown key → 401 'The provided authorization grant is invalid, expired, or revoked', nothing created", async () => {
    const res = await call(sg.emulator, "POST", "/v3/mail/batch", { key: "SG.not-a-key-of-this-emulator" });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(sgError("The provided authorization grant is invalid, expired, or revoked"));
    expect(await sg.admin.batches()).toEqual([]);
  });
});

describe("routing", () => {
  test("an unknown /v3 route → 404 'not found'", async () => {
    const res = await call(sg.emulator, "GET", "/v3/mail/batches");
    expect(res.status).toBe(404);
    expect(res.json).toEqual(sgError("not found"));
  });

  test.each([
    ["GET", "/v3/mail/batch"],
    ["DELETE", "/v3/mail/batch/abc"],
    ["GET", "/v3/mail/send"],
    ["PUT", "/v3/user/scheduled_sends"],
    ["POST", "/v3/user/scheduled_sends/abc"],
  ])("%s %s is a known path with the wrong method → 405 'method not allowed'", async (method, path) => {
    const res = await call(sg.emulator, method, path);
    expect(res.status).toBe(405);
    expect(res.json).toEqual(sgError("method not allowed"));
  });
});
