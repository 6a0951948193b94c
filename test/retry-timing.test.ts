import { backoffMs, rateLimitWaitMs } from "../core/retry";

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
