// A Delete whose cancel SendGrid refuses within 10 minutes of the batch's earliest message is
// FAILED, never SUCCESS: the refusal concerns that message, and mail the batch carries for later
// could still be cancelled once it is out. The Reason says so and gives the ways out (retry the
// stack operation after the send time, or retain the resource); retried after the first send time,
// the Delete cancels the batch and the later mail is discarded. Before, the built bundle answered
// SUCCESS ("too-late"): CloudFormation forgot the batch, it stayed active, and the mail two hours
// later was delivered although the stack had asked for the batch to be cancelled (the second
// adversarial review's adversarial2-lambda-too-late-later-mail).
import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail } from "./support/emulatorCalls";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();

async function deleteEvent(id: string, requestId: string, props: Record<string, string>) {
  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: id }, server.url);
    event.RequestId = requestId;
    Object.assign(event.ResourceProperties, props);
    expect((await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) })).code).toBe(0);
    expect(server.received).toHaveLength(1);
    return server.received[0]!.json;
  } finally {
    await server.close();
  }
}

test("a Delete 5 minutes before the batch's first message, with more of its mail 2 hours later: FAILED with the ways out; retried after the first send time it cancels, and the later mail is discarded", async () => {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  for (const [subject, at] of [
    ["first, 5 min away", now + 300],
    ["later, 2 h away", now + 7200],
  ] as const) {
    const r = await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: at, subject }) });
    expect(r.status).toBe(202);
  }
  const props = { Status: "active", SendAt: String(now + 300) };

  const first = await deleteEvent(id, "2b0c7e1a-5d4f-4a3b-9c2d-1e0f9a8b7c61", props);
  expect(first).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
  const reason = String(first.Reason);
  expect(reason).toMatch(/SendGrid refuses pause or cancel later than 10 minutes before send_at/);
  expect(reason).toContain("Nothing was cancelled, and the stack keeps the resource");
  expect(reason).toContain("Retry the stack operation once the send time has passed");
  expect(reason).toMatch(/DeletionPolicy: Retain, or `aws cloudformation delete-stack --retain-resources <LogicalId>`/);
  // SendGrid holds the batch as the stack last declared it.
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active").toBe("active");

  // The first message goes out (the batch was declared active); CloudFormation's Delete is retried.
  await sg.admin.advanceClock(400);
  const retried = await deleteEvent(id, "2b0c7e1a-5d4f-4a3b-9c2d-1e0f9a8b7c62", props);
  expect(retried).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: id });
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status).toBe("cancelled");

  await sg.admin.advanceClock(3 * 3600);
  const fates = Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate]));
  expect(fates).toEqual({ "first, 5 min away": "delivered", "later, 2 h away": "discarded" });
});
