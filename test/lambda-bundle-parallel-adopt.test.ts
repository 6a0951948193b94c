// Two resources of one template that name the same BatchId (a pasted id: the mistake BATCH_HELD
// exists for), created in parallel by CloudFormation (found by the third adversarial review).
// CloudFormation's record shows a custom resource's physical id only once its answer arrives, so
// each Create listed the stack while the other was CREATE_IN_PROGRESS without a physical id, and
// both adopted: one resource's SUCCESS named a status SendGrid did not hold, and when the active
// write landed last the paused one's held mail was delivered. An adoption is now refused
// (BATCH_HELD) while another resource of its type is being created or updated
// (lambda/stackRecord.ts runningBeside): a resource's row is in progress before its event is sent,
// so of two adoptions the one that lists second always sees the other.
import { SECRET_ARN, STACK_ID, awsEnv, loadEvent, runBundle, startResponseServer, useLambdaBundle } from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, mail, settled } from "./support/emulatorCalls";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();
const TYPE = "Custom::SendGridScheduledBatch";

afterEach(() => {
  lambda.aws.stacks[STACK_ID] = [];
});

type Server = Awaited<ReturnType<typeof startResponseServer>>;

/** A batch this tool handed out earlier (created paused, then retained and removed), with the application's mail on it. */
async function retainedBatch(server: Server): Promise<string> {
  const create = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  Object.assign(create.ResourceProperties, { Status: "paused" });
  expect((await runBundle(lambda.dir, create, { env: awsEnv(lambda.aws) })).code).toBe(0);
  const x = String(server.received[0]!.json.PhysicalResourceId);
  const now = await sg.admin.now();
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: x, send_at: now + 3600 }) })).status).toBe(202);
  return x;
}

function adoptEvent(server: Server, x: string, logicalId: string, status: string, n: number) {
  const e = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  Object.assign(e, { LogicalResourceId: logicalId, RequestId: `1f8b8e4c-3a5e-4f1e-9a35-00000000000${n}` });
  Object.assign(e.ResourceProperties, { BatchId: x, Status: status });
  return e;
}

const running = (logicalId: string) => ({ LogicalResourceId: logicalId, ResourceType: TYPE, ResourceStatus: "CREATE_IN_PROGRESS" });

test("two resources of one template adopting the same BatchId, created in parallel (each lists the stack while the other is in progress): both refused, naming the other; SendGrid untouched and the held mail stays held", async () => {
  const server = await startResponseServer();
  try {
    const x = await retainedBatch(server);
    // Reports (paused) and Digest (active) both name X; CloudFormation creates both at once.
    lambda.aws.stacks[STACK_ID] = [running("Reports"), running("Digest")];
    await sg.admin.clearRequests();
    await Promise.all([
      runBundle(lambda.dir, adoptEvent(server, x, "Reports", "paused", 1), { env: awsEnv(lambda.aws) }),
      runBundle(lambda.dir, adoptEvent(server, x, "Digest", "active", 2), { env: awsEnv(lambda.aws) }),
    ]);
    const answers = Object.fromEntries(server.received.slice(1).map((r) => [String(r.json.LogicalResourceId), r.json]));
    expect(answers.Reports).toMatchObject({ Status: "FAILED", PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED" });
    expect(answers.Digest).toMatchObject({ Status: "FAILED", PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED" });
    expect(String(answers.Reports!.Reason)).toContain(
      `Cannot tell whether Digest (${TYPE}, CREATE_IN_PROGRESS) of this stack is taking BatchId ${x}`,
    );
    expect(String(answers.Reports!.Reason)).toContain("make this resource DependsOn Digest");
    expect(String(answers.Digest!.Reason)).toContain(
      `Cannot tell whether Reports (${TYPE}, CREATE_IN_PROGRESS) of this stack is taking BatchId ${x}`,
    );
    // Refused before any SendGrid call.
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
    expect(await settled(sg.admin, x)).toEqual({ sendgrid: "paused", fates: ["scheduled"] });
  } finally {
    await server.close();
  }
});

test("the same two adoptions one listing after the other: the first (no other resource of its type in progress) adopts, the second sees it still in progress and is refused; SendGrid holds what the one holder declares", async () => {
  const server = await startResponseServer();
  try {
    const x = await retainedBatch(server);
    // Reports' event is sent before Digest's row exists; Digest's while Reports has not answered yet.
    // Not a blanket refusal: a custom resource of another type being created alongside, and one of
    // this type being deleted, do not block Reports.
    const alongside = [
      { LogicalResourceId: "LogRetention", ResourceType: "Custom::LogRetention", ResourceStatus: "CREATE_IN_PROGRESS" },
      { LogicalResourceId: "Old", PhysicalResourceId: "not-this-batch", ResourceType: TYPE, ResourceStatus: "DELETE_IN_PROGRESS" },
    ];
    lambda.aws.stacks[STACK_ID] = [running("Reports"), ...alongside];
    expect((await runBundle(lambda.dir, adoptEvent(server, x, "Reports", "paused", 1), { env: awsEnv(lambda.aws) })).code).toBe(0);
    lambda.aws.stacks[STACK_ID] = [running("Reports"), running("Digest"), ...alongside];
    expect((await runBundle(lambda.dir, adoptEvent(server, x, "Digest", "active", 2), { env: awsEnv(lambda.aws) })).code).toBe(0);
    expect(server.received.slice(1).map((r) => [r.json.LogicalResourceId, r.json.Status])).toEqual([
      ["Reports", "SUCCESS"],
      ["Digest", "FAILED"],
    ]);
    expect(await settled(sg.admin, x)).toEqual({ sendgrid: "paused", fates: ["scheduled"] });
  } finally {
    await server.close();
  }
});
