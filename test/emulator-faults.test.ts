// Fault injection: deterministic for a seed, "before" leaves state untouched, "after" mutates state
// and then fails the response (the ambiguous failure clients must survive).

import { EMULATOR_MESSAGES, startEmulator, type FaultOptions } from "../emulator";
import { call, createBatch, sgError } from "./support/emulatorCalls";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });

async function statuses(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(sg.emulator, "GET", "/v3/user/scheduled_sends")).status);
  return out;
}

const mixed: FaultOptions = { seed: 42, rate: 0.4, kinds: ["500", "503", "429"] };

test("the same seed gives the same faults for the same request sequence", async () => {
  await sg.admin.configure({ faults: mixed });
  const first = await statuses(30);
  await sg.admin.configure({ faults: mixed }); // re-seeds
  const second = await statuses(30);
  expect(second).toEqual(first);
  expect(first.filter((s) => s !== 200).length).toBeGreaterThan(3);
  expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
  expect(new Set(first.filter((s) => s !== 200))).toEqual(new Set([500, 503, 429]));
});

test("a different seed gives a different sequence", async () => {
  await sg.admin.configure({ faults: mixed });
  const a = await statuses(30);
  await sg.admin.configure({ faults: { ...mixed, seed: 7 } });
  expect(await statuses(30)).not.toEqual(a);
});

test("phase 'before': the request fails with 500 'internal server error' and nothing changes", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["500"], phase: "before" } });
  const res = await call(sg.emulator, "POST", "/v3/mail/batch");
  expect(res.status).toBe(500);
  expect(res.json).toEqual(sgError("internal server error"));
  expect(await sg.admin.batches()).toEqual([]);
});

test("phase 'after': the batch is created, then the answer is a 503", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["503"], phase: "after" } });
  const res = await call(sg.emulator, "POST", "/v3/mail/batch");
  expect(res.status).toBe(503);
  expect(res.json).toEqual(sgError(EMULATOR_MESSAGES.serviceUnavailable));
  expect(await sg.admin.batches()).toHaveLength(1);
});

test("phase 'after' with a connection reset: the pause took effect although the client saw no answer", async () => {
  const id = await createBatch(sg.emulator);
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["reset"], phase: "after" } });
  await expect(call(sg.emulator, "POST", "/v3/user/scheduled_sends", { body: { batch_id: id, status: "pause" } })).rejects.toThrow();
  expect((await sg.admin.batches())[0].status).toBe("paused");
  const [entry] = (await sg.admin.requests()).filter((r) => r.route === "/v3/user/scheduled_sends");
  expect(entry).toMatchObject({ status: null, fault: { kind: "reset", phase: "after" } });
});

test("a 'slow' fault delays the answer by slowMs and then answers normally", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["slow"], slowMs: 400 } });
  const started = Date.now();
  const res = await call(sg.emulator, "POST", "/v3/mail/batch");
  expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  expect(res.status).toBe(201);
});

test("an injected 429 carries Remaining 0 and a Reset in the future", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["429"] } });
  const res = await call(sg.emulator, "GET", "/v3/user/scheduled_sends");
  expect(res.status).toBe(429);
  expect(res.json).toEqual(sgError("too many requests"));
  expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
});

test("maxConsecutive lets a request through after that many faults in a row", async () => {
  await sg.admin.configure({ faults: { seed: 3, rate: 1, kinds: ["500"], maxConsecutive: 2 } });
  expect(await statuses(6)).toEqual([500, 500, 200, 500, 500, 200]);
});

test("the inspection API is never faulted", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["500", "reset"] } });
  for (let i = 0; i < 5; i++) expect(Array.isArray(await sg.admin.batches())).toBe(true);
});

test("faults can be configured at start", async () => {
  const faulty = await startEmulator({ faults: { seed: 9, rate: 1, kinds: ["500"] } });
  try {
    expect((await call(faulty, "POST", "/v3/mail/batch")).status).toBe(500);
  } finally {
    await faulty.close();
  }
});
