// A quota refusal in words nobody knows is told by the account's list, read after the refusal: when
// another application frees a slot in between, the list shows a free slot and the refusal stands as
// SendGrid worded it (with a SendAt a day old, "too late"). That read can no longer change a
// message's fate: a Delete refused for any reason is FAILED, so CloudFormation keeps the resource,
// SendGrid holds the batch as the stack last declared it, and the retried Delete cancels it (its mail
// is discarded). Before, the Delete answered SUCCESS ("too-late"): CloudFormation forgot a batch
// that stayed active, and its mail was delivered (the second adversarial review's
// adversarial2-lambda-quota-race, which fails on main).
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

async function deleteEvent(id: string, requestId: string, props: Record<string, string>) {
  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id }, server.url);
    event.RequestId = requestId;
    Object.assign(event.ResourceProperties, props);
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), SENDGRID_QUOTA_WAIT_SECONDS: "2" } });
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    return server.received[0]!.json;
  } finally {
    await server.close();
  }
}

test("a quota refusal in unknown words, a slot freed by another application before the list is read, a SendAt a day old: FAILED, the batch as declared; the retried Delete cancels it and its mail is discarded", async () => {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  expect(
    (await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600, subject: "the stack's" }) }))
      .status,
  ).toBe(202);
  // Another application holds all 10 slots with its paused batches.
  const theirs: string[] = [];
  for (let i = 0; i < 10; i++) {
    const b = await createBatch(sg.emulator);
    expect((await setStatus(sg.emulator, b, "pause")).status).toBe(201);
    theirs.push(b);
  }
  proxy.rules.rewrite = (_req, res) =>
    res.status === 400 && res.body.includes("max limit reached")
      ? JSON.stringify({ errors: [{ field: null, message: "request refused" }] })
      : res.body;
  // The other application resumes one of its batches right after the refusal (before the list read).
  let freed = false;
  proxy.rules.meanwhile = async (req) => {
    if (req.method === "GET" && req.path === "/v3/user/scheduled_sends" && !freed) {
      freed = true;
      expect((await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${theirs[0]}`)).status).toBe(204);
    }
  };
  const props = { Status: "active", SendAt: String(now - 86_400) };

  const first = await deleteEvent(id, "6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e51", props);
  const held = (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active";
  // SUCCESS would be a cancel SendGrid does not hold: CloudFormation would forget the batch, its mail go out.
  expect({ freed, answer: first.Status, held }).toEqual({ freed: true, answer: "FAILED", held: "active" });
  expect(String(first.Reason)).toContain("Nothing was cancelled, and the stack keeps the resource");

  // CloudFormation's Delete, retried (the slot is still free): the batch is cancelled.
  const retried = await deleteEvent(id, "6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e52", props);
  expect(retried.Status).toBe("SUCCESS");
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status).toBe("cancelled");

  // The stack's mail follows what the stack declared: its Delete, once SUCCESS, discards it.
  await sg.admin.advanceClock(2 * 3600);
  expect((await sg.admin.messages()).filter((m) => m.batch_id === id).map((m) => m.fate)).toEqual(["discarded"]);
});
