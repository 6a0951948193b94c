// A Delete whose cancel is refused because the account's slots are full is never "too late"
// (issue 22, path 5), however stale the declared SendAt: the built bundle waits for a slot
// (SENDGRID_QUOTA_WAIT_SECONDS) like any other quota refusal, then answers FAILED with the quota
// message and the ways out, and the batch keeps its status. Once a slot is free, CloudFormation's
// retried Delete cancels it, and the mail on it is discarded at its send time, never delivered.
// Before, a refusal counted as too late on its status (400) and the clock alone: with a SendAt a day
// old the Delete answered SUCCESS ("too-late") and the stack's mail was delivered.

import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, createBatch, mail, setStatus } from "./support/emulatorCalls";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();

const DAY = 86_400;

async function deleteEvent(id: string, requestId: string, props: Record<string, string>) {
  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: id }, server.url);
    event.RequestId = requestId;
    Object.assign(event.ResourceProperties, props);
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), SENDGRID_QUOTA_WAIT_SECONDS: "2" } });
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    return { run, body: server.received[0]!.json };
  } finally {
    await server.close();
  }
}

test("a Delete refused with 'max limit reached' and a SendAt a day old waits, answers FAILED with the quota message; once a slot is free the retried Delete cancels and the mail is discarded", async () => {
  // The stack's batch: active, with the application's mail due in an hour. Its declared SendAt is
  // a day old (the template was not updated when the send was moved).
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600 }) })).status).toBe(202);
  // Another application holds all 10 slots with its paused batches.
  const others: string[] = [];
  for (let i = 0; i < 10; i++) {
    const other = await createBatch(sg.emulator);
    expect((await setStatus(sg.emulator, other, "pause")).status).toBe(201);
    others.push(other);
  }
  await sg.admin.clearRequests();

  const props = { Status: "active", SendAt: String(now - DAY) };
  const first = await deleteEvent(id, "9d1e6f1a-0b7c-4c2d-8e3f-4a5b6c7d8e90", props);
  expect(first.body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
  expect(String(first.body.Reason)).toMatch(
    /^SendGrid POST \/v3\/user\/scheduled_sends failed: 400 max limit reached\. SendGrid allows at most 10 batches paused or cancelled at once; resume one, or free slots held by cancelled batches whose send time has passed with `sendgrid-batches clear-cancelled`\. No slot came free in the 2 s it was retried/,
  );
  expect(String(first.body.Reason)).toContain(`(batch ${id} is not cancelled and keeps its status: an active batch's mail goes out`);
  // It waited for a slot, saying so, and changed nothing.
  expect(first.run.stdout).toContain(`waiting for a free slot to cancel batch ${id}`);
  const refused = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route} ${r.status}`);
  expect(refused.length).toBeGreaterThan(1);
  expect(new Set(refused)).toEqual(new Set(["POST /v3/user/scheduled_sends 400"]));
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status).toBe("active");

  // The other application resumes one of its batches; CloudFormation retries the Delete.
  expect((await call(sg.emulator, "DELETE", `/v3/user/scheduled_sends/${others[0]}`)).status).toBe(204);
  const retried = await deleteEvent(id, "9d1e6f1a-0b7c-4c2d-8e3f-4a5b6c7d8e91", props);
  expect(retried.body).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: id });
  expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status).toBe("cancelled");

  // Past the send time the stack's mail is discarded, not delivered.
  await sg.admin.advanceClock(2 * 3600);
  expect((await sg.admin.messages()).filter((m) => m.batch_id === id).map((m) => m.fate)).toEqual(["discarded"]);
});
