// Adversarial review of issue 22 path 5 (a full quota is never "too late") with the built bundle.
// The fix tells a quota refusal by SendGrid's exact words, `max limit reached`, in the standard
// `{"errors":[…]}` envelope; every other 400 on a cancel counts as "too late" when the declared
// SendAt is past the cut-off. /work/shared/docs/sendgrid-api.md says the strings come only from
// 2015–2018 material, and that the first draft of the API sent this very refusal double-encoded
// (`"{\"error\": \"max limit reached\"}"`). With the refusal in that form (a proxy rewrites the
// emulator's answer, nothing else changes) and a SendAt a day old (the case of path 5), the Delete
// answers SUCCESS ("too-late"), CloudFormation forgets the resource, and the stack's mail is
// delivered instead of discarded (measured: fate `delivered` at send time). The account's own list (10 of 10 slots held) would have told.

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
});

test("a Delete whose quota refusal is worded as SendGrid's first draft words it, with a SendAt a day old: FAILED, never SUCCESS (too-late)", async () => {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600 }) })).status).toBe(202);
  // Another application holds all 10 slots with its paused batches.
  for (let i = 0; i < 10; i++) expect((await setStatus(sg.emulator, await createBatch(sg.emulator), "pause")).status).toBe(201);
  proxy.rules.rewrite = (_req, res) =>
    res.status === 400 && res.body.includes("max limit reached") ? JSON.stringify('{"error": "max limit reached"}') : res.body;

  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id }, server.url);
    Object.assign(event.ResourceProperties, { Status: "active", SendAt: String(now - 86_400) });
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), SENDGRID_QUOTA_WAIT_SECONDS: "2" } });
    expect(run.code).toBe(0);
    // The cancel was refused: SendGrid holds the batch active. Answering SUCCESS would be a success
    // SendGrid does not hold (CloudFormation forgets the resource; at send time the mail goes out).
    expect({
      answers: server.received.map((r) => r.json.Status),
      held: (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active",
    }).toEqual({ answers: ["FAILED"], held: "active" });
  } finally {
    await server.close();
  }
});

test("a refusal in words nobody knows, with all 10 slots held and a SendAt a day old: the account's list tells the quota, FAILED, never SUCCESS (too-late)", async () => {
  const now = await sg.admin.now();
  const id = await createBatch(sg.emulator);
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: id, send_at: now + 3600 }) })).status).toBe(202);
  for (let i = 0; i < 10; i++) expect((await setStatus(sg.emulator, await createBatch(sg.emulator), "pause")).status).toBe(201);
  // The quota refusal says nothing we could recognise.
  proxy.rules.rewrite = (_req, res) =>
    res.status === 400 && res.body.includes("max limit reached")
      ? JSON.stringify({ errors: [{ field: null, message: "request refused" }] })
      : res.body;
  await sg.admin.clearRequests();

  const server = await startResponseServer();
  try {
    const event = loadEvent("delete.json", { SECRET_ARN, API_URL: proxy.url, PHYSICAL_ID: id }, server.url);
    Object.assign(event.ResourceProperties, { Status: "active", SendAt: String(now - 86_400) });
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), SENDGRID_QUOTA_WAIT_SECONDS: "2" } });
    expect(run.code).toBe(0);
    expect(server.received.map((r) => r.json.Status)).toEqual(["FAILED"]);
    expect(String(server.received[0]!.json.Reason)).toContain("The account holds 10 batches paused or cancelled (at most 10 at once)");
    // It waited for a slot like any quota refusal: each refused cancel was told by one read of the
    // account's list (lambda-bundle-quota-wait), and nothing changed a status.
    const calls = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route} ${r.status}`);
    const refused = calls.filter((c) => c === "POST /v3/user/scheduled_sends 400").length;
    expect(refused).toBeGreaterThan(1);
    expect(calls.filter((c) => c.startsWith("GET /v3/user/scheduled_sends "))).toEqual(
      Array.from({ length: refused }, () => "GET /v3/user/scheduled_sends 200"),
    );
    expect(new Set(calls)).toEqual(new Set(["POST /v3/user/scheduled_sends 400", "GET /v3/user/scheduled_sends 200"]));
    expect((await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active").toBe("active");
  } finally {
    await server.close();
  }
});
