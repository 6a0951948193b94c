// In-process, unit-level: the response body budget (4096 bytes), the PUT's retries, the deadline
// budget, and the warm-container duplicate guard of the handler.

import { budgetFor } from "../lambda/deadline";
import { makeHandler } from "../lambda/handler";
import { redactUrl } from "../lambda/log";
import { MAX_BODY_BYTES, sendResponse, serializeBody, type ResponseBody } from "../lambda/respond";
import { startResponseServer } from "./support/cfn";

const base: ResponseBody = {
  Status: "FAILED",
  PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED",
  StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/newsletter/5b2e6c30-a8f1-11f0-9d3c-0affd3c9f1a3",
  RequestId: "0f8b8e4c-3a5e-4f1e-9a35-7d6e0b2c9c11",
  LogicalResourceId: "Batch",
};

describe("serializeBody keeps the body within CloudFormation's 4096 bytes", () => {
  test("a short body is untouched", () => {
    const body = { ...base, Reason: "SendGrid said no" };
    expect(serializeBody(body)).toBe(JSON.stringify(body));
  });

  test.each([
    ["ASCII", "x"],
    ["two-byte UTF-8", "ü"],
    ["three-byte UTF-8", "—"],
    ["astral (surrogate pairs)", "🙂"],
    ["JSON-escaped", '"\\\n'],
  ])("a 10 KB %s reason is cut to fit exactly, keeping its start", (_name, unit) => {
    const reason = `START ${unit.repeat(12_000)}`;
    const text = serializeBody({ ...base, Reason: reason });
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(bytes).toBeGreaterThan(MAX_BODY_BYTES - 16); // as much of the reason as fits
    const parsed = JSON.parse(text) as ResponseBody;
    expect(parsed.Reason?.startsWith("START ")).toBe(true);
    expect(parsed.Reason?.endsWith(" …[truncated]")).toBe(true);
    expect(parsed.Reason).not.toMatch(/\uFFFD/); // never a broken character
    expect({ ...parsed, Reason: undefined }).toEqual({ ...base, Reason: undefined });
  });
});

describe("sendResponse", () => {
  test("retries a 500 from the ResponseURL and succeeds on the next attempt, same bytes each time", async () => {
    const server = await startResponseServer([500, 503, 200]);
    try {
      const text = serializeBody({ ...base, Reason: "Zürich — ünïcödé" });
      const result = await sendResponse(server.url, text, { respondBy: Date.now() + 10_000, baseDelayMs: 10, random: () => 1 });
      expect(result).toEqual({ ok: true, attempts: 3, outcomes: [500, 503, 200] });
      expect(server.received).toHaveLength(3);
      for (const r of server.received) {
        expect(r.method).toBe("PUT");
        expect(r.contentType).toBe("");
        expect(r.contentLength).toBe(String(Buffer.byteLength(text)));
        expect(r.bytes.toString("utf8")).toBe(text);
      }
    } finally {
      await server.close();
    }
  });

  test("gives up after the bounded number of attempts, reporting each status", async () => {
    const server = await startResponseServer([403, 403, 403, 403, 403, 403, 403]);
    try {
      const result = await sendResponse(server.url, "{}", { respondBy: Date.now() + 10_000, baseDelayMs: 1, maxAttempts: 4 });
      expect(result).toEqual({ ok: false, attempts: 4, outcomes: [403, 403, 403, 403] });
    } finally {
      await server.close();
    }
  });

  test("waits between attempts but never after the last failed one", async () => {
    const server = await startResponseServer([500, 500, 500]);
    const sleeps: number[] = [];
    try {
      const result = await sendResponse(server.url, "{}", {
        respondBy: Date.now() + 60_000,
        maxAttempts: 2,
        baseDelayMs: 1000,
        random: () => 1,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
      expect(result).toEqual({ ok: false, attempts: 2, outcomes: [500, 500] });
      expect(sleeps).toEqual([1000]);
    } finally {
      await server.close();
    }
  });

  test("never throws: a malformed ResponseURL is a failed result", async () => {
    const result = await sendResponse("not a url", "{}", { respondBy: Date.now() + 1000 });
    expect(result).toEqual({ ok: false, attempts: 0, outcomes: ["ResponseURL is not a URL"] });
  });

  test("stops retrying at the deadline", async () => {
    const server = await startResponseServer(Array(50).fill(500));
    try {
      const started = Date.now();
      const result = await sendResponse(server.url, "{}", { respondBy: started + 300, baseDelayMs: 100, maxAttempts: 50 });
      expect(result.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      await server.close();
    }
  });

  test("refuses plain http to a non-loopback host (ResponseURLs are https)", async () => {
    const result = await sendResponse("http://example.com/x?sig=1", "{}", { respondBy: Date.now() + 1000 });
    expect(result).toEqual({ ok: false, attempts: 0, outcomes: ["ResponseURL is not https"] });
  });
});

describe("budgetFor: the work stops early enough to answer", () => {
  test.each([
    [120_000, 105_000, 119_000],
    [3_000, 2_250, 2_850],
    [1_000, 500, 950],
  ])("with %i ms left, work ends at %i and every PUT is over by %i", (remaining, workEndsAt, respondBy) => {
    expect(budgetFor(remaining, 0)).toEqual({ workEndsAt, respondBy });
  });
});

test("redactUrl keeps the host and path of a pre-signed URL and drops its signature", () => {
  expect(
    redactUrl(
      "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws/x?X-Amz-Signature=abc&X-Amz-Credential=AKIA",
    ),
  ).toBe("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws/x?<redacted>");
});

test("a duplicated event (same StackId + RequestId) in a warm container repeats the first answer without doing the work again", async () => {
  const server = await startResponseServer();
  const lines: string[] = [];
  try {
    const handler = makeHandler({ sink: (l) => lines.push(l) });
    const event = {
      RequestType: "Delete" as const,
      ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch",
      ResponseURL: server.url,
      StackId: base.StackId,
      RequestId: "dup-0001",
      LogicalResourceId: "Batch",
      PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED",
      ResourceType: "Custom::SendGridScheduledBatch",
      ResourceProperties: { ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch" },
    };
    const context = { getRemainingTimeInMillis: () => 10_000 };
    await handler(event, context);
    await handler(event, context);
    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.bytes.equals(server.received[0]!.bytes)).toBe(true);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      outcome: { status: "SUCCESS", action: "skipped (failed-Create marker)" },
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "warn", outcome: { action: "duplicate (answer repeated, no SendGrid call)" } });
  } finally {
    await server.close();
  }
});
