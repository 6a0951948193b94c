// A 404 means "this batch has no status" only when SendGrid says so ("batch id not found"). Any
// other 404 — a proxy or another service at apiUrl, a wrong host — is an error that names the URL,
// so a refresh never drops a batch, a delete never reports "gone" and an adoption never says "not
// a batch of this account" because the request went to the wrong place.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, SendGridError, adoptBatch, applyStatus, cancelBatch, createBatch, readBatch } from "../core";
import * as rt from "../provider/runtime";
import { useEmulator } from "./support/emulator";
import { startSendGridProxy, type SendGridProxy } from "./support/sendgridProxy";

const sg = useEmulator();
let proxy: SendGridProxy;

beforeAll(async () => {
  proxy = await startSendGridProxy(sg.url);
  process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await sg.admin.reset();
  proxy.rules.answer = undefined;
  proxy.rules.rewrite = undefined;
});

const client = () => new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: proxy.url }, { retry: { baseDelayMs: 1 } });

/** What a call rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<SendGridError> {
  const outcome = await p.then(
    (v) => ({ resolved: v }),
    (e: unknown) => e,
  );
  if (!(outcome instanceof SendGridError)) throw new Error(`expected a SendGridError, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const NOT_SENDGRID = [
  ["an HTML page", { status: 404, body: "<html><body><h1>404 Not Found</h1></body></html>", contentType: "text/html" }],
  ["a JSON body of another API", { status: 404, body: '{"message":"Not Found"}', contentType: "application/json" }],
  ["no body", { status: 404, body: "" }],
  [
    "SendGrid's shape with another message",
    { status: 404, body: '{"errors":[{"field":null,"message":"not found"}]}', contentType: "application/json" },
  ],
] as const;

describe.each(NOT_SENDGRID)("a host that answers every request 404 with %s", (_name, answer) => {
  let batchId: string;
  beforeEach(async () => {
    // A real paused batch, made through the proxy while it still forwarded to SendGrid.
    batchId = (await createBatch(client(), "paused")).batchId;
    proxy.rules.answer = answer;
  });

  test("reading the status is an error naming the URL and apiUrl/region, not 'active'", async () => {
    const err = await rejection(client().getStatus(batchId));
    expect(err.code).toBe("NOT_SENDGRID");
    expect(err.message).toContain(`${proxy.url}/v3/user/scheduled_sends/${batchId}`);
    expect(err.message).toMatch(/Check apiUrl\/region/);
  });

  test("reading the batch (refresh) fails instead of reporting it gone", async () => {
    expect((await rejection(readBatch(client(), batchId))).code).toBe("NOT_SENDGRID");
    await expect(rt.read(batchId, { apiUrl: proxy.url, status: "paused" })).rejects.toThrow(/does not answer like SendGrid's API/);
  });

  test("cancel fails instead of answering 'gone', whatever status it believed", async () => {
    for (const believed of [undefined, "cancelled", "paused", "active"] as const) {
      const err = await rejection(cancelBatch(client(), batchId, believed));
      expect(err.code).toBe("NOT_SENDGRID");
      expect(err.message).toContain(proxy.url);
    }
  });

  test("a status change names the URL of the request that 404'd (no misleading re-read)", async () => {
    const err = await rejection(applyStatus(client(), batchId, "active", "paused"));
    expect(err.message).toMatch(new RegExp(`^SendGrid DELETE /v3/user/scheduled_sends/${batchId} failed: 404 .*from ${proxy.url}/v3/`));
  });

  test("adoption fails naming the URL, not 'not a batch of this account'", async () => {
    const err = await rejection(adoptBatch(client(), batchId, "paused"));
    expect(err.code).toBe("NOT_SENDGRID");
    expect(err.message).not.toMatch(/not a batch of this SendGrid account/);
  });

  test("nothing changed on SendGrid", async () => {
    await rejection(cancelBatch(client(), batchId, "paused"));
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "paused"]]);
  });
});

describe("SendGrid's own 404 'batch id not found' still means 'no status'", () => {
  test("a single read of an active batch answered 404 reads as active", async () => {
    await sg.admin.configure({ singleReadWithoutStatus: "404" });
    try {
      const { batchId } = await createBatch(client(), "active");
      expect(await client().getStatus(batchId)).toBe("active");
      expect(await readBatch(client(), batchId)).toBe("active");
    } finally {
      await sg.admin.configure({ singleReadWithoutStatus: "empty" });
    }
  });
});

describe("the single-batch read reports only that batch", () => {
  test("an answer that lists only another batch is an error, never that batch's status", async () => {
    const { batchId } = await createBatch(client(), "active");
    const other = await createBatch(client(), "cancelled");
    proxy.rules.rewrite = (req, res) =>
      req.method === "GET" && req.path.startsWith("/v3/user/scheduled_sends/")
        ? JSON.stringify([{ batch_id: other.batchId, status: "cancel" }])
        : res.body;
    const err = await rejection(client().getStatus(batchId));
    expect(err.code).toBe("UNEXPECTED_RESPONSE");
    expect(err.message).toContain(`no entry for batch ${batchId}`);
  });

  test("the error path is encoded as the request path is", async () => {
    proxy.rules.answer = { status: 200, body: '{"not":"a list"}', contentType: "application/json" };
    const err = await rejection(client().getStatus("odd id/with?chars"));
    expect(err.message).toContain("GET /v3/user/scheduled_sends/odd%20id%2Fwith%3Fchars answered 200 but expected a JSON array");
  });
});
