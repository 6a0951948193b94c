// The provider's methods against the emulator over real HTTP: for every transition, what SendGrid
// holds afterwards and exactly how many SendGrid requests it took.
import { DEFAULT_EMULATOR_API_KEY, startEmulator } from "../emulator";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { SendGridBatchClient, createBatch } from "../core";
import * as rt from "../provider/runtime";

type Props = Record<string, unknown>;

const sg = useEmulator();

beforeAll(() => {
  process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
});
beforeEach(() => sg.admin.reset());

const calls = () => takeSendGridCalls(sg.admin);

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection, got ${String(outcome)}`);
  return outcome;
}

async function statusOf(batchId: string): Promise<string | undefined> {
  return (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status;
}

function inputs(extra: Props = {}): Props {
  return { apiUrl: sg.url, __provider: "text", ...extra };
}

/** A batch the application made (no resource holds it), with `status`; its requests forgotten. */
async function madeByTheApplication(status: "active" | "paused" | "cancelled"): Promise<string> {
  const client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
  const { batchId } = await createBatch(client, status);
  await sg.admin.clearRequests();
  return batchId;
}

async function created(status: string): Promise<{ id: string; outs: Props }> {
  const res = await rt.create(inputs({ status }));
  await sg.admin.clearRequests();
  return res;
}

describe("create", () => {
  test("an active batch costs one POST /v3/mail/batch", async () => {
    const { id, outs } = await rt.create(inputs({ status: "active" }));
    expect(outs).toMatchObject({ batchId: id, status: "active", adopted: false, apiUrl: sg.url });
    expect(await statusOf(id)).toBe("active");
    expect(await calls()).toEqual(["POST /v3/mail/batch"]);
  });

  test.each([
    ["paused", "pause"],
    ["cancelled", "cancel"],
  ])("a %s batch costs the batch POST plus one status POST (%s)", async (status, wire) => {
    const { id, outs } = await rt.create(inputs({ status }));
    expect(outs.status).toBe(status);
    expect(await statusOf(id)).toBe(status);
    const log = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
    expect(log.map((r) => `${r.method} ${r.route}`)).toEqual(["POST /v3/mail/batch", "POST /v3/user/scheduled_sends"]);
    expect(log[1].body).toEqual({ batch_id: id, status: wire });
  });

  test("adopting an existing active batch makes no write (status read + id validation)", async () => {
    const id = await madeByTheApplication("active");
    const { id: adoptedId, outs } = await rt.create(inputs({ batchId: id, status: "active" }));
    expect(adoptedId).toBe(id);
    expect(outs).toMatchObject({ adopted: true, status: "active" });
    expect(await calls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}", "GET /v3/mail/batch/{batch_id}"]);
    expect((await sg.admin.batches()).length).toBe(1);
  });

  test("adopting a paused batch and asking for cancelled is one read and one PATCH", async () => {
    const id = await madeByTheApplication("paused");
    await rt.create(inputs({ batchId: id, status: "cancelled" }));
    expect(await statusOf(id)).toBe("cancelled");
    expect(await calls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}", "PATCH /v3/user/scheduled_sends/{batch_id}"]);
  });

  test("adopting an id this account does not own fails with the reason and creates nothing", async () => {
    await expect(rt.create(inputs({ batchId: "NotARealBatchId123" }))).rejects.toThrow(
      /batchId NotARealBatchId123 is not a batch of this SendGrid account/,
    );
    expect(await sg.admin.batches()).toEqual([]);
  });
});

describe("update moves between states with one request each", () => {
  const cases: Array<[string, string, string]> = [
    ["active", "paused", "POST /v3/user/scheduled_sends"],
    ["paused", "active", "DELETE /v3/user/scheduled_sends/{batch_id}"],
    ["active", "cancelled", "POST /v3/user/scheduled_sends"],
    ["paused", "cancelled", "PATCH /v3/user/scheduled_sends/{batch_id}"],
    ["cancelled", "paused", "PATCH /v3/user/scheduled_sends/{batch_id}"],
    ["cancelled", "active", "DELETE /v3/user/scheduled_sends/{batch_id}"],
  ];
  test.each(cases)("%s → %s is exactly %s", async (from, to, call) => {
    const { id, outs } = await created(from);
    const res = await rt.update(id, outs, inputs({ status: to }));
    expect(res.outs).toMatchObject({ batchId: id, status: to });
    expect(await statusOf(id)).toBe(to);
    expect(await calls()).toEqual([call]);
  });

  test("a status changed out of band is reconciled: POST refused, one read, then PATCH", async () => {
    const { id, outs } = await created("active");
    await rt.update(id, outs, inputs({ status: "paused" })); // someone else paused it
    await sg.admin.clearRequests();
    const res = await rt.update(id, outs, inputs({ status: "cancelled" })); // state still says active
    expect(res.outs.status).toBe("cancelled");
    expect(await statusOf(id)).toBe("cancelled");
    expect(await calls()).toEqual([
      "POST /v3/user/scheduled_sends",
      "GET /v3/user/scheduled_sends/{batch_id}",
      "PATCH /v3/user/scheduled_sends/{batch_id}",
    ]);
  });

  test("changing only sendAt records it without any SendGrid call", async () => {
    const { id, outs } = await created("active");
    const res = await rt.update(id, outs, inputs({ status: "active", sendAt: 4102444800 }));
    expect(res.outs.sendAt).toBe(4102444800);
    expect(await calls()).toEqual([]);
  });
});

describe("delete cancels, never resumes", () => {
  test("deleting an active batch is one cancel POST", async () => {
    const { id, outs } = await created("active");
    await rt.remove(id, outs);
    expect(await statusOf(id)).toBe("cancelled");
    expect(await calls()).toEqual(["POST /v3/user/scheduled_sends"]);
  });

  test("deleting a paused batch switches it to cancelled with one PATCH (never DELETE, which would send the mail)", async () => {
    const { id, outs } = await created("paused");
    await rt.remove(id, outs);
    expect(await statusOf(id)).toBe("cancelled");
    expect(await calls()).toEqual(["PATCH /v3/user/scheduled_sends/{batch_id}"]);
  });

  test("deleting twice succeeds; the second time one read confirms and nothing is written", async () => {
    const { id, outs } = await created("active");
    await rt.remove(id, outs);
    await sg.admin.clearRequests();
    await rt.remove(id, { ...outs, status: "cancelled" });
    expect(await statusOf(id)).toBe("cancelled");
    expect(await calls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}"]);
  });

  test("deleting a batch the account does not know fails (never 'gone'): its one cancel call is refused and nothing is created", async () => {
    const err = await failure(rt.remove("UnknownBatch0001", { apiUrl: sg.url, status: "active" }));
    expect(err).toMatchObject({ code: "UNKNOWN_BATCH" });
    expect(err.message).toMatch(/SendGrid does not know batch UnknownBatch0001 .*pulumi state delete <urn>/);
    expect(await calls()).toEqual(["POST /v3/user/scheduled_sends"]);
    expect(await sg.admin.batches()).toEqual([]);
  });
});

describe("read (refresh)", () => {
  test("finds a status changed out of band and rewrites the inputs to match", async () => {
    const { id, outs } = await created("active");
    await rt.update(id, outs, inputs({ status: "cancelled" }));
    await sg.admin.clearRequests();
    const res = await rt.read(id, outs);
    expect(res).toEqual({ id, props: { ...outs, status: "cancelled" }, inputs: { status: "cancelled", apiUrl: sg.url } });
    expect(await calls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}"]);
  });

  test("an active batch is confirmed with a status read and an id validation", async () => {
    const { id, outs } = await created("active");
    const res = await rt.read(id, outs);
    expect(res.props.status).toBe("active");
    expect(await calls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}", "GET /v3/mail/batch/{batch_id}"]);
  });

  test("an id the account does not know fails the read (another key, account, region or subuser), never drops the batch", async () => {
    const err = await failure(rt.read("VanishedBatch01", { apiUrl: sg.url, status: "active", batchId: "VanishedBatch01" }));
    expect(err).toMatchObject({ code: "UNKNOWN_BATCH" });
    expect(err.message).toMatch(/SendGrid does not know batch VanishedBatch01 in the account this call used \(http:\/\/127\.0\.0\.1:\d+\)/);
    expect(err.message).toMatch(/pulumi state delete <urn>.*retainOnDelete: true/);
  });
});

describe("SendGrid's refusals become errors a person can act on", () => {
  test("the 11th paused batch names the 10-batch limit and how to free a slot", async () => {
    for (let i = 0; i < 10; i++) await rt.create(inputs({ status: "paused" }));
    // The refused pause is retried while a slot may come free: a short wait keeps the test quick.
    process.env.SENDGRID_QUOTA_WAIT_SECONDS = "1";
    const err = await failure(rt.create(inputs({ status: "paused" }))).finally(() => {
      delete process.env.SENDGRID_QUOTA_WAIT_SECONDS;
    });
    expect(err).toMatchObject({
      message: expect.stringMatching(
        /400 max limit reached.*at most 10 batches paused or cancelled.*No slot came free in the 1 s it was retried/,
      ),
    });
    // The batch id was made before the refusal: the error carries it so Pulumi records the resource.
    const e = err as Error & { id: string; properties: Props };
    expect(e.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(e.properties).toMatchObject({ batchId: e.id, status: "active", __provider: "text" });
    expect(await statusOf(e.id)).toBe("active");
  });

  test("a rejected key says so, with SendGrid's status and message, and never the key", async () => {
    process.env.SENDGRID_API_KEY = "SG.not-a-key-the-emulator-knows";
    try {
      const err = await failure(rt.create(inputs()));
      expect(err.message).toMatch(/SendGrid POST \/v3\/mail\/batch failed: 401 .*The API key was rejected/);
      expect(err.message).not.toContain("SG.not-a-key");
    } finally {
      process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
    }
  });

  test("an unreachable SendGrid is reported with the URL and retried a bounded number of times", async () => {
    const down = await startEmulator();
    const url = down.url;
    await down.close();
    const err = await failure(rt.create({ apiUrl: url, status: "active" }));
    expect(err.message).toMatch(new RegExp(`could not reach ${url}.*ECONNREFUSED`));
  });
});
