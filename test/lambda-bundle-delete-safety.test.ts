// Delete through the built bundle answers SUCCESS only when SendGrid holds the batch cancelled:
// - SendGrid refusing the cancel near send_at is recognised from the declared SendAt and the clock,
//   whatever words SendGrid uses (it documents none), and answers FAILED saying so, with the ways
//   out (the batch may carry mail for later: lambda-bundle-too-late-later-mail);
// - any other refusal is FAILED with SendGrid's message unchanged;
// - a host that is not SendGrid (404 from a proxy) is FAILED naming the URL, never "gone";
// - a batch the key's account does not know (another account's key) is FAILED saying so and how to
//   retain the resource, never "gone": SendGrid cannot delete a batch id.

import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SECRET_ARN, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { createBatch as createRawBatch, setStatus } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(120_000);

/** A valid key of a second account on the same host (the emulator gives each key its own account). */
const OTHER_KEY = "SG.anotherAccountsKey000.of-the-same-shape-as-a-real-key-but-account-2";
const sg = useEmulator({ apiKeys: [DEFAULT_EMULATOR_API_KEY, OTHER_KEY] });
const proxy = useSendGridProxy(sg);
const lambda = useLambdaBundle();

// A wording of the refusal that is not the emulator's (SendGrid documents no message for it).
const REFUSAL = "This scheduled send can no longer be modified";

beforeEach(async () => {
  await sg.admin.reset();
  proxy.rules.answer = undefined;
  // Every 400 of a status change comes back in other words than the emulator's.
  proxy.rules.rewrite = (req, res) =>
    res.status === 400 && req.path.startsWith("/v3/user/scheduled_sends")
      ? JSON.stringify({ errors: [{ field: null, message: REFUSAL }] })
      : res.body;
});

/** An active batch with mail queued `secondsAhead` from now (the emulator refuses a cancel within 10 min of it). */
async function batchWithMail(secondsAhead: number): Promise<{ id: string; sendAt: number }> {
  const id = await createRawBatch(sg.emulator);
  const sendAt = (await sg.admin.now()) + secondsAhead;
  await sg.admin.seedMessage({ batch_id: id, send_at: sendAt, to: ["ada@example.com"] });
  return { id, sendAt };
}

async function deleteEvent(id: string, props: Record<string, string>) {
  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id }, server.url);
    Object.assign(event.ResourceProperties, props);
    const run = await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) });
    expect(server.received).toHaveLength(1);
    return { run, body: server.received[0]!.json, log: run.logLines[0] as { level: string; outcome: Record<string, unknown> } };
  } finally {
    await server.close();
  }
}

test("a cancel refused 5 minutes before the declared SendAt answers FAILED saying it is too late and how to go on, whatever SendGrid's words", async () => {
  const { id, sendAt } = await batchWithMail(300);
  const { body, log } = await deleteEvent(id, { Status: "active", SendAt: String(sendAt) });
  expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
  expect(log.level).toBe("error");
  expect(log.outcome).toMatchObject({ status: "FAILED", action: "delete-failed (too late)" });
  expect(String(body.Reason)).toContain(`400 ${REFUSAL}`);
  expect(String(body.Reason)).toMatch(/SendGrid refuses pause or cancel later than 10 minutes before send_at/);
  expect(String(body.Reason)).toMatch(/Retry the stack operation once the send time has passed.*DeletionPolicy: Retain/);
  // The batch is as it was: its mail goes out as scheduled.
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[id, "active"]]);
});

test("the same refusal with a declared SendAt far ahead is FAILED, with SendGrid's message unchanged", async () => {
  const { id, sendAt } = await batchWithMail(300);
  const { body } = await deleteEvent(id, { Status: "active", SendAt: String(sendAt + 3600) });
  expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
  expect(body.Reason).toBe(`SendGrid POST /v3/user/scheduled_sends failed: 400 ${REFUSAL}`);
});

test("without a declared SendAt the refusal is FAILED (nothing tells it is too late)", async () => {
  const { id } = await batchWithMail(300);
  const { body } = await deleteEvent(id, { Status: "active" });
  expect(body).toMatchObject({ Status: "FAILED", Reason: `SendGrid POST /v3/user/scheduled_sends failed: 400 ${REFUSAL}` });
});

test("a Delete through a host that answers 404 is FAILED naming the URL, never 'gone'", async () => {
  const id = await createRawBatch(sg.emulator);
  proxy.rules.answer = { status: 404, body: "<h1>Not Found</h1>", contentType: "text/html" };
  for (const Status of ["cancelled", "paused", "active"]) {
    const { body } = await deleteEvent(id, { Status });
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
    expect(String(body.Reason)).toContain(`from ${proxy.url}/v3/`);
    expect(String(body.Reason)).toMatch(/Check ApiUrl\/Region/);
  }
  expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["active"]);
});

test.each(["active", "paused", "cancelled"])(
  "a Delete of a %s batch the key's account does not know (another account's key) is FAILED, says why and how to retain it, and changes nothing",
  async (Status) => {
    proxy.rules.rewrite = undefined;
    const id = await createRawBatch(sg.emulator, { key: OTHER_KEY });
    if (Status !== "active") await setStatus(sg.emulator, id, Status === "paused" ? "pause" : "cancel", { key: OTHER_KEY });
    const { body } = await deleteEvent(id, { Status });
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: id });
    expect(body.Reason).toMatch(new RegExp(`SendGrid does not know batch ${id} in the account this call used`));
    expect(body.Reason).toMatch(
      /ApiKeySecretArn\/ApiKeyParameterName, or Region\/OnBehalfOf\/ApiUrl, is not the account that made this batch/,
    );
    expect(body.Reason).toMatch(/DeletionPolicy: Retain.*--retain-resources/);
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[id, Status]]);
  },
);
