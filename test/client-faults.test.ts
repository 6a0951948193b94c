// The core under SendGrid's limits and failures, injected by the emulator over real HTTP:
// 429s wait for X-RateLimit-Reset, 5xx/resets/timeouts are retried a bounded number of times,
// ambiguous failures converge, and what we record always equals what SendGrid holds.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { SendGridBatchClient, applyStatus, cancelBatch, createBatch, type BatchStatus, type RetryOptions } from "../core";

const sg = useEmulator();

beforeEach(async () => {
  await sg.admin.reset();
  await sg.admin.configure({ faults: false, rateLimit: false });
});

function client(retry: Partial<RetryOptions> = {}, sleeps: number[] = []): SendGridBatchClient {
  return new SendGridBatchClient(
    { apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url },
    {
      retry: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000, ...retry },
      // Record waits instead of spending them, except rate-limit waits, which must really pass.
      sleep: async (ms) => {
        sleeps.push(ms);
        if (ms > 50) await new Promise((r) => setTimeout(r, Math.min(ms, 2500)));
      },
    },
  );
}

async function v3Log() {
  return (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
}

test("a 429 waits until X-RateLimit-Reset and then succeeds", async () => {
  await sg.admin.configure({ rateLimit: { limit: 2, windowSeconds: 1 } });
  const sleeps: number[] = [];
  const c = client({}, sleeps);
  const { batchId } = await createBatch(c, "active");
  for (let i = 0; i < 5; i++) expect(await c.getStatus(batchId)).toBe("active");
  const log = await v3Log();
  const reads = log.filter((r) => r.method === "GET");
  // Once the window's allowance is used up the client holds back instead of collecting 429s.
  expect(reads.filter((r) => r.status === 200)).toHaveLength(5);
  expect(reads.filter((r) => r.status === 429).length).toBeLessThanOrEqual(1);
  // It waited for the window to reset: at most the 1 s window plus rounding to whole seconds.
  expect(sleeps.some((ms) => ms > 0 && ms <= 2300)).toBe(true);
});

test("a 429 burst from SendGrid is retried within the configured cap and counted", async () => {
  await sg.admin.configure({ faults: { seed: 7, rate: 1, kinds: ["429"], maxConsecutive: 2 } });
  const sleeps: number[] = [];
  const batchId = await client({}, sleeps).createBatchId();
  expect(batchId).toMatch(/^[A-Za-z0-9_-]+$/);
  const statuses = (await v3Log()).map((r) => r.status);
  expect(statuses).toEqual([429, 429, 201]);
});

test("rate-limit retries are bounded: past the budget the error says what happened", async () => {
  await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["429"] } });
  const err = await client({ maxRateLimitRetries: 2 })
    .createBatchId()
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  expect(err?.message).toMatch(/SendGrid POST \/v3\/mail\/batch failed: 429 too many requests.*X-RateLimit-Reset/);
  expect(await v3Log()).toHaveLength(3);
});

test("5xx and connection resets on reads are retried with backoff, then succeed", async () => {
  const { batchId } = await createBatch(client(), "paused");
  await sg.admin.clearRequests();
  await sg.admin.configure({ faults: { seed: 3, rate: 1, kinds: ["500", "503", "reset"], maxConsecutive: 3 } });
  const sleeps: number[] = [];
  expect(await client({ maxAttempts: 5 }, sleeps).getStatus(batchId)).toBe("paused");
  const log = await v3Log();
  expect(log).toHaveLength(4);
  expect(log[3].status).toBe(200);
  expect(sleeps).toHaveLength(3);
});

test("creating a batch id is retried at most once after an ambiguous failure", async () => {
  await sg.admin.configure({ faults: { seed: 5, rate: 1, kinds: ["500"], phase: "after" } });
  const err = await client({ maxAttempts: 5 })
    .createBatchId()
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  expect(err?.message).toMatch(/500/);
  // Two ids were minted and are unused: harmless (they hold no mail and no quota slot).
  expect(await v3Log()).toHaveLength(2);
  expect((await sg.admin.batches()).every((b) => b.status === "active")).toBe(true);
});

test("a slow SendGrid hits the per-request timeout and the read is retried", async () => {
  const { batchId } = await createBatch(client(), "cancelled");
  await sg.admin.configure({ faults: { seed: 9, rate: 1, kinds: ["slow"], slowMs: 1500, maxConsecutive: 1 } });
  expect(await client({ timeoutMs: 300 }).getStatus(batchId)).toBe("cancelled");
});

test("a status change whose response is lost (applied, then 500) converges without a second change", async () => {
  const c = client();
  const { batchId } = await createBatch(c, "active");
  await sg.admin.configure({ faults: { seed: 11, rate: 1, kinds: ["500"], phase: "after", maxConsecutive: 1 } });
  expect(await applyStatus(c, batchId, "paused", "active")).toBe("paused");
  await sg.admin.configure({ faults: false });
  const log = (await v3Log()).map((r) => `${r.method} ${r.route} ${r.status}`);
  // The first POST was applied but answered 500; the retry is told the status exists; a read
  // (itself faulted once, then retried) settles it, and no further write is made.
  expect(log.slice(-4)).toEqual([
    "POST /v3/user/scheduled_sends 500",
    "POST /v3/user/scheduled_sends 400",
    "GET /v3/user/scheduled_sends/{batch_id} 500",
    "GET /v3/user/scheduled_sends/{batch_id} 200",
  ]);
  expect((await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status).toBe("paused");
});

test("under 30% mixed faults, 30 random transitions converge and every recorded status matches SendGrid", async () => {
  await sg.admin.configure({ faults: { seed: 2024, rate: 0.3, kinds: ["500", "503", "reset"], phase: "mixed", maxConsecutive: 2 } });
  const c = client({ maxAttempts: 4 });
  const recorded = new Map<string, BatchStatus>();
  const statuses: BatchStatus[] = ["active", "paused", "cancelled"];
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let failures = 0;
  for (let i = 0; i < 30; i++) {
    const ids = [...recorded.keys()];
    const target = statuses[Math.floor(rand() * 3)];
    try {
      if (ids.length < 4 || rand() < 0.2) {
        const made = await createBatch(c, target);
        recorded.set(made.batchId, made.status);
      } else {
        const id = ids[Math.floor(rand() * ids.length)];
        recorded.set(id, await applyStatus(c, id, target, recorded.get(id)));
      }
    } catch {
      failures++;
    }
  }
  // A second pass (the "next up") reconciles anything a failure left behind.
  await sg.admin.configure({ faults: false });
  for (const [id, status] of recorded) recorded.set(id, await applyStatus(c, id, status));
  const held = new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  for (const [id, status] of recorded) expect(held.get(id)).toBe(status);
  // No paused or cancelled batch exists that the record does not know.
  for (const [id, status] of held) if (status !== "active") expect(recorded.has(id)).toBe(true);
  expect(failures).toBeLessThan(30);
});

test("delete after a lost cancel response still ends cancelled and succeeds", async () => {
  const c = client();
  const { batchId } = await createBatch(c, "paused");
  await sg.admin.configure({ faults: { seed: 13, rate: 1, kinds: ["reset"], phase: "after", maxConsecutive: 1 } });
  expect(await cancelBatch(c, batchId, "paused")).toBe("cancelled");
  expect((await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status).toBe("cancelled");
});
