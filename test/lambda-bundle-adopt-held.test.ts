// A second custom resource of a stack may not adopt (BatchId) the batch another logical resource of
// that stack holds. The handler keeps no journal; CloudFormation's record stands in for it: before
// adopting, the built bundle lists the resources of the event's stack (ListStackResources, every
// page) and answers FAILED (BATCH_HELD), naming the holder and the way to move a batch deliberately,
// when another logical resource has that physical id. The same logical id may adopt it (a
// replacement keeps its own batch), and so may any resource once the holder has let it go (retained
// and removed). A read that fails is FAILED, never a blind adoption. Before, the second resource
// resumed the batch the first one held paused, and the first one's held mail was delivered (the
// second adversarial review's adversarial2-lambda-adopt-held, which fails on main).
import {
  SECRET_ARN,
  STACK_ID,
  awsEnv,
  loadEvent,
  runBundle,
  startResponseServer,
  useLambdaBundle,
  type FakeStackResource,
} from "./support/cfn";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";

jest.setTimeout(120_000);

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle();
const TYPE = "Custom::SendGridScheduledBatch";

afterEach(() => {
  lambda.aws.stacks[STACK_ID] = [];
  lambda.aws.stackReadError = undefined;
});

/** Other resources of the stack, so the holder is on a later page of ListStackResources. */
const NEIGHBOURS: FakeStackResource[] = [
  {
    LogicalResourceId: "FunctionRole",
    PhysicalResourceId: "newsletter-FunctionRole-1A2B3C",
    ResourceType: "AWS::IAM::Role",
    ResourceStatus: "CREATE_COMPLETE",
  },
  {
    LogicalResourceId: "Function",
    PhysicalResourceId: "sendgrid-scheduled-batch",
    ResourceType: "AWS::Lambda::Function",
    ResourceStatus: "CREATE_COMPLETE",
  },
  { LogicalResourceId: "Reports", ResourceType: TYPE, ResourceStatus: "CREATE_IN_PROGRESS" },
];

/** Batch: a paused batch made by the stack's first custom resource, with the application's mail on it. */
async function heldBatch(server: { url: string; received: { json: Record<string, unknown> }[] }): Promise<string> {
  const first = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  expect((await runBundle(lambda.dir, first, { env: awsEnv(lambda.aws) })).code).toBe(0);
  expect(server.received.map((r) => r.json.Status)).toEqual(["SUCCESS"]);
  const x = String(server.received[0]!.json.PhysicalResourceId);
  const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: x, send_at: (await sg.admin.now()) + 3600, subject: "held by Batch" }),
  });
  expect(sent.status).toBe(202);
  return x;
}

/** A Create of `logicalId` in the fixtures' stack adopting `batchId` (as active unless told). */
async function adopt(server: { url: string }, logicalId: string, batchId: string, status = "active") {
  const event = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  Object.assign(event, { LogicalResourceId: logicalId, RequestId: `1f8b8e4c-3a5e-4f1e-9a35-${String(Date.now()).slice(-12)}` });
  Object.assign(event.ResourceProperties, { BatchId: batchId, Status: status });
  await sg.admin.clearRequests();
  expect((await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) })).code).toBe(0);
}

const statusOf = async (id: string) => (await sg.admin.batches()).find((b) => b.batch_id === id)?.status ?? "active";
const sendGridCalls = async () => (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).length;

test("a second custom resource of the stack adopting, as active, the batch the first one holds paused: FAILED (BATCH_HELD, naming the holder and how to move a batch), the held mail stays held; the holder itself, or another resource once the holder is retained and removed, may adopt it", async () => {
  const server = await startResponseServer();
  try {
    const x = await heldBatch(server);
    // CloudFormation's record: Batch holds x (the holder on the second page of the listing).
    lambda.aws.stacks[STACK_ID] = [
      ...NEIGHBOURS,
      { LogicalResourceId: "Batch", PhysicalResourceId: x, ResourceType: TYPE, ResourceStatus: "CREATE_COMPLETE" },
    ];

    // The same stack, another logical resource naming Batch's id (a pasted id, or !GetAtt Batch.BatchId).
    const before = lambda.aws.calls.length;
    await adopt(server, "Reports", x);
    const answer = server.received[1]!.json;
    expect(answer).toMatchObject({ Status: "FAILED", PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED" });
    expect(String(answer.Reason)).toContain(`BatchId ${x} is held by Batch (${TYPE}, CREATE_COMPLETE) of this stack; not adopted`);
    expect(String(answer.Reason)).toMatch(
      /set DeletionPolicy: Retain on Batch and deploy, then remove Batch from the template and deploy .*then adopt it here with BatchId/,
    );
    // Refused before the key is read or SendGrid called, after reading both pages of the stack's resources.
    expect(await sendGridCalls()).toBe(0);
    expect(lambda.aws.calls.slice(before)).toEqual(["cloudformation.ListStackResources", "cloudformation.ListStackResources"]);

    const held = await statusOf(x);

    // Not a blanket refusal: Batch itself may name its own batch (a replacement keeps it; Reports'
    // refused Create is over: CREATE_FAILED, so it is taking no batch) ...
    lambda.aws.stacks[STACK_ID] = [
      ...NEIGHBOURS.filter((r) => r.LogicalResourceId !== "Reports"),
      { LogicalResourceId: "Reports", ResourceType: TYPE, ResourceStatus: "CREATE_FAILED" },
      { LogicalResourceId: "Batch", PhysicalResourceId: x, ResourceType: TYPE, ResourceStatus: "UPDATE_IN_PROGRESS" },
    ];
    await adopt(server, "Batch", x, "paused");
    expect(server.received[2]!.json).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: x });
    // ... and once Batch is retained and removed from the template (CloudFormation no longer lists
    // it), another resource may adopt the batch: the deliberate move the refusal describes.
    lambda.aws.stacks[STACK_ID] = [...NEIGHBOURS];
    await adopt(server, "Reports", x, "paused");
    expect(server.received[3]!.json).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: x });

    await sg.admin.advanceClock(2 * 3600);
    expect({ answers: server.received.map((r) => r.json.Status), held, fates: (await sg.admin.messages()).map((m) => m.fate) }).toEqual({
      answers: ["SUCCESS", "FAILED", "SUCCESS", "SUCCESS"],
      held: "paused",
      fates: ["scheduled"],
    });
  } finally {
    await server.close();
  }
});

test.each([
  { status: 403, code: "AccessDenied", message: "User is not authorized to perform: cloudformation:ListStackResources" },
  { status: 400, code: "Throttling", message: "Rate exceeded" },
])(
  "a listing of the stack's resources refused with $code: FAILED with a clear reason, nothing adopted and no SendGrid call",
  async (failure) => {
    const server = await startResponseServer();
    try {
      const x = await heldBatch(server);
      lambda.aws.stackReadError = failure;
      await adopt(server, "Reports", x);
      const answer = server.received[1]!.json;
      expect(answer).toMatchObject({ Status: "FAILED", PhysicalResourceId: "SendGridScheduledBatch::CREATE_FAILED" });
      expect(String(answer.Reason)).toContain(`Cannot tell whether another resource of stack ${STACK_ID} holds the BatchId to adopt`);
      expect(String(answer.Reason)).toContain(failure.code);
      expect(String(answer.Reason)).toContain("Grant the function's role cloudformation:ListStackResources");
      expect(await sendGridCalls()).toBe(0);
      expect(await statusOf(x)).toBe("paused");
    } finally {
      await server.close();
    }
  },
);
