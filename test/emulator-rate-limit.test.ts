// SendGrid-style rate limiting: per API key and endpoint, X-RateLimit-* headers, 429 with
// "too many requests" until X-RateLimit-Reset.

import { call, createBatch, KEY, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const OTHER_KEY = "SG.rate-limit-second-key";
const sg = useEmulator({ resetBeforeEach: true, apiKeys: [KEY, OTHER_KEY], rateLimit: { limit: 3, windowSeconds: 60 } });

function limitHeaders(res: { headers: Headers }) {
  return {
    limit: res.headers.get("x-ratelimit-limit"),
    remaining: res.headers.get("x-ratelimit-remaining"),
    reset: Number(res.headers.get("x-ratelimit-reset")),
  };
}

test("every /v3 response carries X-RateLimit-Limit, a decreasing Remaining and Reset as epoch seconds of the window end", async () => {
  const before = Date.now() / 1000;
  const seen = [];
  for (let i = 0; i < 3; i++) seen.push(limitHeaders(await call(sg.emulator, "GET", "/v3/user/scheduled_sends")));
  expect(seen.map((h) => [h.limit, h.remaining])).toEqual([
    ["3", "2"],
    ["3", "1"],
    ["3", "0"],
  ]);
  expect(seen[0].reset).toBeGreaterThanOrEqual(Math.floor(before + 60));
  expect(seen[0].reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000 + 60));
  expect(new Set(seen.map((h) => h.reset)).size).toBe(1);
});

test("error responses of a limited endpoint carry the headers too", async () => {
  const res = await call(sg.emulator, "GET", "/v3/mail/batch/UnknownBatch");
  expect(res.status).toBe(400);
  expect(limitHeaders(res)).toMatchObject({ limit: "3", remaining: "2" });
});

test("past the limit: 429 {field:null, message:'too many requests'}, Remaining 0, and no state change", async () => {
  for (let i = 0; i < 3; i++) expect((await call(sg.emulator, "POST", "/v3/mail/batch")).status).toBe(201);
  const res = await call(sg.emulator, "POST", "/v3/mail/batch");
  expect(res.status).toBe(429);
  expect(res.json).toEqual(sgError("too many requests"));
  expect(limitHeaders(res)).toMatchObject({ limit: "3", remaining: "0" });
  expect(await sg.admin.batches()).toHaveLength(3);
});

test("budgets are per endpoint (method + path template) and per API key", async () => {
  for (let i = 0; i < 3; i++) await call(sg.emulator, "POST", "/v3/mail/batch");
  expect((await call(sg.emulator, "POST", "/v3/mail/batch")).status).toBe(429);
  // Same key, other endpoint; one template covers every batch id.
  const id = await createBatch(sg.emulator, { key: OTHER_KEY });
  expect((await call(sg.emulator, "GET", `/v3/mail/batch/${id}`)).status).toBe(400);
  expect((await call(sg.emulator, "GET", "/v3/mail/batch/another-id")).headers.get("x-ratelimit-remaining")).toBe("1");
  // Other key, same endpoint.
  expect((await call(sg.emulator, "POST", "/v3/mail/batch", { key: OTHER_KEY })).status).toBe(201);
  // A subuser acts with the parent's key, so it shares the parent's budget.
  expect((await call(sg.emulator, "POST", "/v3/mail/batch", { onBehalfOf: "subuser-a" })).status).toBe(429);
});

test("the window resets at X-RateLimit-Reset", async () => {
  await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 1 } });
  await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
  const limited = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
  expect(limited.status).toBe(429);
  const resetMs = limitHeaders(limited).reset * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, resetMs - Date.now()) + 20));
  const again = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
  expect(again.status).toBe(200);
  expect(limitHeaders(again)).toMatchObject({ limit: "1", remaining: "0" });
});

test("the inspection API is never rate-limited", async () => {
  await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
  for (let i = 0; i < 5; i++) await sg.admin.batches();
  const res = await fetch(`${sg.emulator.url}/__emulator/batches`);
  expect(res.status).toBe(200);
  expect(res.headers.get("x-ratelimit-limit")).toBeNull();
});

test("rate limiting can be switched off at run time: no headers, no 429", async () => {
  await sg.admin.configure({ rateLimit: false });
  for (let i = 0; i < 5; i++) {
    const res = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  }
});
