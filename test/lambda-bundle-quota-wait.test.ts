// When all 10 slots are held, the Lambda's Delete waits for a slot like any other call
// (SENDGRID_QUOTA_WAIT_SECONDS), whatever words SendGrid refuses in, and the wait ends before the
// event's deadline, so the answer is the quota's with its ways out. Before: a quota refusal in words
// nobody knows was told by one read of the account's list and answered FAILED at once (one refused
// cancel, no wait: a slot freed a moment later could not help), and a wait longer than the function
// had left ran into the deadline ("Timed out", without the quota's reason).
import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const proxy = useSendGridProxy(sg);
const lambda = useLambdaBundle();

afterEach(() => {
  proxy.rules.rewrite = undefined;
  proxy.rules.meanwhile = undefined;
});

/** The stack's active batch with mail in an hour, and another application's 10 paused batches. */
async function fullAccount(): Promise<{ id: string; theirs: string[]; now: number }> {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600 }) })).status).toBe(202);
  const theirs: string[] = [];
  for (let i = 0; i < 10; i++) {
    const b = await createBatch(sg.emulator);
    expect((await setStatus(sg.emulator, b, "pause")).status).toBe(201);
    theirs.push(b);
  }
  await sg.admin.clearRequests();
  return { id, theirs, now };
}

async function deleteEvent(id: string, props: Record<string, string>, env: Record<string, string>, timeoutMs?: number) {
  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id }, server.url);
    Object.assign(event.ResourceProperties, props);
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), ...env }, timeoutMs });
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    return { run, body: server.received[0]!.json };
  } finally {
    await server.close();
  }
}

test("a quota refusal in words nobody knows, all 10 slots held: the Delete waits, and cancels once another application frees a slot; the mail is discarded", async () => {
  const { id, theirs, now } = await fullAccount();
  proxy.rules.rewrite = (_req, res) =>
    res.status === 400 && res.body.includes("max limit reached")
      ? JSON.stringify({ errors: [{ field: null, message: "request refused" }] })
      : res.body;
  // The other application resumes one of its batches before the Delete's third cancel.
  let posts = 0;
  proxy.rules.meanwhile = async (req) => {
    if (req.method === "POST" && req.path === "/v3/user/scheduled_sends" && ++posts === 3)
      expect((await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${theirs[0]}`)).status).toBe(204);
  };

  const { run, body } = await deleteEvent(id, { Status: "active", SendAt: String(now - 86_400) }, { SENDGRID_QUOTA_WAIT_SECONDS: "20" });
  expect(body).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: id });
  expect(run.stdout).toContain(`waiting for a free slot to cancel batch ${id}`);
  // Two refused cancels, each told by the account's list (all 10 held), the other application's
  // resume, then the cancel SendGrid took.
  const calls = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route} ${r.status}`);
  expect(calls).toEqual([
    "POST /v3/user/scheduled_sends 400",
    "GET /v3/user/scheduled_sends 200",
    "POST /v3/user/scheduled_sends 400",
    "GET /v3/user/scheduled_sends 200",
    "DELETE /v3/user/scheduled_sends/{batch_id} 204",
    "POST /v3/user/scheduled_sends 201",
  ]);
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status).toBe("cancelled");
  await sg.admin.advanceClock(2 * 3600);
  expect((await sg.admin.messages()).filter((m) => m.batch_id === id).map((m) => m.fate)).toEqual(["discarded"]);
});

test("a quota wait longer than the function has left ends before its deadline: FAILED with the quota's reason and ways out, not 'Timed out'; the batch keeps its status", async () => {
  const { id, now } = await fullAccount();
  const { run, body } = await deleteEvent(
    id,
    { Status: "active", SendAt: String(now + 3600) },
    { SENDGRID_QUOTA_WAIT_SECONDS: "600" },
    // The function's Timeout: the work may run until 9 s, the rest is kept for answering.
    12_000,
  );
  expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
  const reason = String(body.Reason);
  expect(reason).not.toMatch(/^Timed out/);
  expect(reason).toMatch(/400 max limit reached\. SendGrid allows at most 10 batches paused or cancelled at once/);
  expect(reason).toMatch(/No slot came free in the \d+ s it was retried/);
  expect(reason).toContain(`(batch ${id} is not cancelled and keeps its status`);
  expect(run.stdout).toContain(`waiting for a free slot to cancel batch ${id}`);
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active").toBe("active");
});
