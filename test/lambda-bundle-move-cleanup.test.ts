// A batch moved between two resources of a stack in one update (found by the third adversarial
// review), the way CloudFormation orders it:
//   1. `Batch` (created paused, batch X, the application's mail on it) is updated to adopt another
//      batch Y (a replacing Update: new physical id Y);
//   2. `Reports` (new, DependsOn Batch) adopts X, paused: CloudFormation's record now shows Batch
//      holding Y, so no other resource holds X and the adoption is allowed (SUCCESS);
//   3. the update's cleanup sends Delete for Batch's old physical id X with Batch's old properties.
// Before this was fixed, step 3 cancelled X, the batch Reports holds: the stack declared X paused,
// SendGrid held it cancelled, the held mail was discarded. The Delete now lists the stack's resources
// first (lambda/stackRecord.ts heldElsewhere) and answers SUCCESS without cancelling when another
// logical resource holds the id; when the list cannot be read it answers FAILED and cancels nothing.
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

let request = 0;
const requestId = () => `1f8b8e4c-3a5e-4f1e-9a35-${String(++request).padStart(12, "0")}`;

/** The built bundle on `event` (a fresh RequestId), and the answer CloudFormation received. */
async function answer(server: Awaited<ReturnType<typeof startResponseServer>>, event: Record<string, unknown>) {
  Object.assign(event, { RequestId: requestId() });
  expect((await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) })).code).toBe(0);
  return server.received[server.received.length - 1]!.json;
}

/** Deploy 1 and the update's first two steps: Batch holds Y now, Reports adopted X (paused, mail on it). */
async function moveBatch(server: Awaited<ReturnType<typeof startResponseServer>>): Promise<string> {
  const run = (event: Record<string, unknown>) => answer(server, event);
  // Deploy 1: Batch, paused; the application schedules mail on its id.
  const create = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  Object.assign(create.ResourceProperties, { Status: "paused" });
  const first = await run(create);
  expect(first.Status).toBe("SUCCESS");
  const x = String(first.PhysicalResourceId);
  const now = await sg.admin.now();
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: x, send_at: now + 3600 }) })).status).toBe(202);
  lambda.aws.stacks[STACK_ID] = [
    { LogicalResourceId: "Batch", PhysicalResourceId: x, ResourceType: TYPE, ResourceStatus: "CREATE_COMPLETE" },
  ];

  // A batch of the application's own for Batch to take instead.
  const minted = await call(sg.emulator, "POST", "/v3/mail/batch");
  const y = String((minted.json as { batch_id: string }).batch_id);

  // Deploy 2, step 1: Batch adopts Y (replacing Update: the physical id becomes Y).
  const update = loadEvent("update-status.json", { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: x }, server.url);
  Object.assign(update.ResourceProperties, { Status: "paused", BatchId: y });
  Object.assign(update.OldResourceProperties as Record<string, unknown>, { Status: "paused" });
  expect(await run(update)).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: y });
  lambda.aws.stacks[STACK_ID] = [
    { LogicalResourceId: "Batch", PhysicalResourceId: y, ResourceType: TYPE, ResourceStatus: "UPDATE_COMPLETE" },
  ];

  // Step 2: Reports (DependsOn Batch) adopts X, paused: the record shows nobody else holding X.
  const adopt = loadEvent("create.json", { SECRET_ARN, API_URL: sg.url }, server.url);
  Object.assign(adopt, { LogicalResourceId: "Reports" });
  Object.assign(adopt.ResourceProperties, { Status: "paused", BatchId: x });
  expect(await run(adopt)).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: x });
  lambda.aws.stacks[STACK_ID]!.push({
    LogicalResourceId: "Reports",
    PhysicalResourceId: x,
    ResourceType: TYPE,
    ResourceStatus: "CREATE_COMPLETE",
  });
  return x;
}

/** Step 3 (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS): Delete of Batch's old physical id X, with its old properties. */
function cleanupOf(server: Awaited<ReturnType<typeof startResponseServer>>, x: string) {
  const cleanup = loadEvent("delete.json", { SECRET_ARN, API_URL: sg.url, PHYSICAL_ID: x }, server.url);
  Object.assign(cleanup.ResourceProperties, { Status: "paused" });
  return cleanup;
}

test("a batch moved to another resource in one stack update: the cleanup Delete of the old physical id answers SUCCESS without cancelling it, and the mail the new holder declares paused stays held", async () => {
  const server = await startResponseServer();
  try {
    const x = await moveBatch(server);
    const requestsBefore = (await sg.admin.requests()).length;
    const cleanup = await answer(server, cleanupOf(server, x));
    expect(cleanup).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: x });
    // The Delete asked CloudFormation, not SendGrid.
    expect((await sg.admin.requests()).length).toBe(requestsBefore);
    expect(await settled(sg.admin, x)).toEqual({ sendgrid: "paused", fates: ["scheduled"] });
  } finally {
    await server.close();
  }
});

test("when the stack's resources cannot be listed, the cleanup Delete answers FAILED saying why and cancels nothing", async () => {
  const server = await startResponseServer();
  try {
    const x = await moveBatch(server);
    lambda.aws.stackReadError = {
      status: 403,
      code: "AccessDenied",
      message: "not authorized to perform cloudformation:ListStackResources",
    };
    const cleanup = await answer(server, cleanupOf(server, x));
    expect(cleanup).toMatchObject({ Status: "FAILED", PhysicalResourceId: x });
    expect(String(cleanup.Reason)).toContain(`Cannot tell whether another resource of stack ${STACK_ID} now holds batch ${x}`);
    expect(String(cleanup.Reason)).toContain("nothing was cancelled");
    expect(await settled(sg.admin, x)).toEqual({ sendgrid: "paused", fates: ["scheduled"] });
  } finally {
    lambda.aws.stackReadError = undefined;
    await server.close();
  }
});
