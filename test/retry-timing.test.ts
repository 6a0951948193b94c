import { backoffMs, quotaWaitFromEnv, quotaWaitProblem, rateLimitWaitMs, retry } from "../core/retry";

describe("waiting for SendGrid's rate-limit window", () => {
  const now = 1_800_000_000_000; // ms
  const cap = 65_000;

  test.each([
    ["an epoch 30 s ahead waits until then", String(now / 1000 + 30), 30_000],
    ["an epoch far ahead is capped", String(now / 1000 + 3600), cap],
    ["an epoch in the past waits one second", String(now / 1000 - 5), 1000],
    ["a small number is read as a delta in seconds", "7", 7000],
    ["a missing header waits one second", undefined, 1000],
    ["garbage waits one second", "soon", 1000],
    ["a negative value waits one second", "-3", 1000],
  ])("%s", (_name, header, expected) => {
    expect(rateLimitWaitMs(header, now, cap)).toBe(expected);
  });
});

describe("backoff between retries of failed requests", () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
  test("grows exponentially and never exceeds the cap", () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffMs(a, opts, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  test("is fully jittered", () => {
    expect(backoffMs(3, opts, () => 0)).toBe(0);
    expect(backoffMs(3, opts, () => 0.5)).toBe(400);
  });
});

describe("retry: the one loop the SendGrid client and the CloudFormation response share", () => {
  const failing = (calls: number[]) => async (n: number) => {
    calls.push(n);
    throw new Error(`attempt ${n} failed`);
  };

  test("stops after maxAttempts with the last error, and never waits after the last attempt", async () => {
    const calls: number[] = [];
    const sleeps: number[] = [];
    const run = retry(failing(calls), {
      maxAttempts: 3,
      retryable: () => true,
      delayMs: (_e, failures) => failures * 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await expect(run).rejects.toThrow("attempt 3 failed");
    expect(calls).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([100, 200]);
  });

  test("a failure that is not retryable is thrown at once", async () => {
    const calls: number[] = [];
    const sleeps: number[] = [];
    const run = retry(failing(calls), {
      maxAttempts: 5,
      retryable: (_e, failures) => failures < 2,
      delayMs: () => 10,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await expect(run).rejects.toThrow("attempt 2 failed");
    expect(sleeps).toEqual([10]);
  });

  test("no wait begins that would end after the deadline", async () => {
    let clock = 1000;
    const calls: number[] = [];
    const run = retry(failing(calls), {
      maxAttempts: 10,
      retryable: () => true,
      delayMs: () => 400,
      deadline: 2000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    await expect(run).rejects.toThrow("attempt 3 failed");
    expect(clock).toBe(1800); // 1000 → 1400 → 1800; a third wait would end at 2200
  });

  test("a success after failures is returned", async () => {
    const value = await retry(async (n) => (n < 3 ? Promise.reject(new Error("no")) : `ok on ${n}`), {
      maxAttempts: 4,
      retryable: () => true,
      delayMs: () => 0,
      sleep: async () => undefined,
    });
    expect(value).toBe("ok on 3");
  });
});

test("SENDGRID_QUOTA_WAIT_SECONDS sets the wait for a free quota slot, 0 to 600 whole seconds; unset or blank leaves the default", () => {
  expect(quotaWaitFromEnv({ SENDGRID_QUOTA_WAIT_SECONDS: "5" })).toEqual({ maxQuotaWaitMs: 5000 });
  expect(quotaWaitFromEnv({ SENDGRID_QUOTA_WAIT_SECONDS: "0" })).toEqual({ maxQuotaWaitMs: 0 });
  expect(quotaWaitFromEnv({ SENDGRID_QUOTA_WAIT_SECONDS: " 600 " })).toEqual({ maxQuotaWaitMs: 600_000 });
  for (const unset of [undefined, "", "  "]) {
    expect(quotaWaitProblem({ SENDGRID_QUOTA_WAIT_SECONDS: unset })).toBeUndefined();
    expect(quotaWaitFromEnv({ SENDGRID_QUOTA_WAIT_SECONDS: unset })).toEqual({});
  }
});

test.each(["-1", "abc", "1e9", "60s", "off", "1.5", "999999", "601"])(
  "SENDGRID_QUOTA_WAIT_SECONDS=%s is refused with the variable, the value and the accepted range, never ignored",
  (value) => {
    const problem = `SENDGRID_QUOTA_WAIT_SECONDS must be a whole number of seconds from 0 to 600 (how long a pause or cancel refused with "max limit reached" waits for a free slot; 0 turns the wait off), got ${JSON.stringify(value)}`;
    expect(quotaWaitProblem({ SENDGRID_QUOTA_WAIT_SECONDS: value })).toBe(problem);
    expect(() => quotaWaitFromEnv({ SENDGRID_QUOTA_WAIT_SECONDS: value })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", message: problem }),
    );
  },
);
