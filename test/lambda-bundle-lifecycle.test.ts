// The built bundle (lambda/dist/index.js, built here into a temp dir) runs alone in a fresh Node
// process — no node_modules, NODE_PATH holding only @aws-sdk/* as the Lambda runtime provides it —
// against the SendGrid emulator, a fake Secrets Manager/SSM reached by the real AWS SDK, and a
// loopback ResponseURL. Each test makes the batches it needs, and asserts the exact answer
// CloudFormation receives, how it was sent, the emulator's batches and the exact SendGrid calls.

import { builtinModules } from "node:module";
import * as fs from "node:fs";
import { DEFAULT_EMULATOR_API_KEY, type RequestLogEntry } from "../emulator";
import {
  PARAMETER_NAME,
  SECRET_ARN,
  awsEnv,
  loadEvent,
  runBundle,
  startResponseServer,
  type BundleRun,
  type CfnEvent,
  type ReceivedResponse,
  MARKER,
  STACK_ID,
  useLambdaBundle,
} from "./support/cfn";
import { useEmulator } from "./support/emulator";

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle({
  secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY },
  parameters: { [PARAMETER_NAME]: DEFAULT_EMULATOR_API_KEY },
});

async function sendgridCalls(): Promise<string[]> {
  const log: RequestLogEntry[] = await sg.admin.requests();
  return log.filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route ?? r.path} ${r.status}`);
}

/**
 * Run one event through the bundle; returns the run, the single PUT received, the SendGrid calls
 * and the transcript (output and response body), which never holds the API key.
 */
async function invoke(fixture: string, vars: Record<string, string> = {}, edit?: (e: CfnEvent) => void) {
  await sg.admin.clearRequests();
  const awsCallsBefore = lambda.aws.calls.length;
  const server = await startResponseServer();
  try {
    const event = loadEvent(fixture, { SECRET_ARN, API_URL: sg.url, ...vars }, server.url);
    edit?.(event);
    const run: BundleRun = await runBundle(lambda.dir, event, { env: awsEnv(lambda.aws) });
    const transcript = [run.stdout, run.stderr, ...server.received.map((r) => r.bytes.toString("utf8"))];
    for (const t of transcript) expect(t).not.toContain(DEFAULT_EMULATOR_API_KEY);
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    const put = server.received[0] as ReceivedResponse;
    return { run, put, body: put.json, calls: await sendgridCalls(), awsCalls: lambda.aws.calls.slice(awsCallsBefore), event, transcript };
  } finally {
    await server.close();
  }
}

function expectWellFormedPut(put: ReceivedResponse, responseUrlPathAndQuery: string): void {
  expect(put.method).toBe("PUT");
  expect(put.url).toBe(responseUrlPathAndQuery);
  // Empty, not absent and not application/json: the pre-signed URL was signed without one.
  expect(put.contentType).toBe("");
  expect(put.contentLength).toBe(String(put.bytes.length));
  expect(put.bytes.length).toBeLessThanOrEqual(4096);
}

function pathAndQuery(url: unknown): string {
  const u = new URL(String(url));
  return u.pathname + u.search;
}

async function statusOf(batchId: string): Promise<string | undefined> {
  return (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status;
}

describe("the bundle, run alone in a fresh Node process", () => {
  test("is one self-contained file that only requires Node built-ins and the runtime's @aws-sdk", () => {
    const text = fs.readFileSync(`${lambda.dir}/index.js`, "utf8");
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
    const outside = required.filter((r) => !r.startsWith("node:") && !r.startsWith("@aws-sdk/") && !isBuiltin(r));
    expect(outside).toEqual([]);
    expect(required).toEqual(
      expect.arrayContaining(["@aws-sdk/client-secrets-manager", "@aws-sdk/client-ssm", "@aws-sdk/client-cloudformation"]),
    );
  });

  /** A batch made by the Create fixture (Status paused), as the Update tests start from. */
  async function pausedBatch(): Promise<string> {
    return String((await invoke("create.json")).body.PhysicalResourceId);
  }

  /** A batch of subuser-a made by the SSM Create fixture (Status active), as the Delete tests start from. */
  async function activeSubuserBatch(): Promise<string> {
    return String((await invoke("create-ssm.json")).body.PhysicalResourceId);
  }

  const declaredActive = (e: CfnEvent) => {
    e.ResourceProperties.OnBehalfOf = "subuser-a";
  };

  test("Create with Status paused makes a batch, pauses it (2 SendGrid calls) and answers SUCCESS with the batch id", async () => {
    const { put, body, calls, awsCalls, event, run } = await invoke("create.json");
    expectWellFormedPut(put, pathAndQuery(event.ResponseURL));
    const id = String(body.PhysicalResourceId);
    expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{10,}$/);
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: id,
      StackId: STACK_ID,
      RequestId: "0f8b8e4c-3a5e-4f1e-9a35-7d6e0b2c9c11",
      LogicalResourceId: "Batch",
      Data: { BatchId: id, Status: "paused" },
    });
    expect(calls).toEqual(["POST /v3/mail/batch 201", "POST /v3/user/scheduled_sends 201"]);
    expect(awsCalls).toEqual(["secretsmanager.GetSecretValue"]);
    expect(await statusOf(id)).toBe("paused");
    // One JSON log line for the event, with the ResponseURL's signature redacted.
    expect(run.logLines).toHaveLength(1);
    const line = run.logLines[0] as Record<string, unknown>;
    expect(line).toMatchObject({
      level: "info",
      requestType: "Create",
      coldStart: true,
      outcome: { status: "SUCCESS", action: "created" },
    });
    expect(String(line.responseUrl)).toMatch(/\?<redacted>$/);
    expect(run.stdout).not.toContain("X-Amz-Signature");
  });

  test("Update paused → active removes the status with one DELETE and keeps the id", async () => {
    const pausedId = await pausedBatch();
    const { body, calls } = await invoke("update-status.json", { PHYSICAL_ID: pausedId });
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: pausedId,
      StackId: STACK_ID,
      RequestId: "a6c2f7e1-4b8d-4c3a-9e2f-1d0c9b8a7f61",
      LogicalResourceId: "Batch",
      Data: { BatchId: pausedId, Status: "active" },
    });
    expect(calls).toEqual(["DELETE /v3/user/scheduled_sends/{batch_id} 204"]);
    expect(await statusOf(pausedId)).toBe("active");
  });

  test("an Update that changes only ServiceTimeout is a no-op: same id, no SendGrid call, no secret read", async () => {
    const pausedId = await pausedBatch();
    const { body, calls, awsCalls } = await invoke("update-service-timeout-only.json", { PHYSICAL_ID: pausedId });
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: pausedId,
      StackId: STACK_ID,
      RequestId: "b7d3a8f2-5c9e-4d4b-8f30-2e1d0cab9872",
      LogicalResourceId: "Batch",
      Data: { BatchId: pausedId, Status: "paused" },
    });
    expect(calls).toEqual([]);
    expect(awsCalls).toEqual([]);
  });

  test("replacement: a changed OnBehalfOf creates a new batch for the subuser; the Delete of the old id cancels the old one", async () => {
    const oldId = await pausedBatch();

    const replaced = await invoke("replace-1-update-onbehalfof.json", { PHYSICAL_ID: oldId });
    const newId = String(replaced.body.PhysicalResourceId);
    expect(newId).not.toBe(oldId);
    expect(replaced.body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: newId,
      StackId: STACK_ID,
      RequestId: "c8e4b9a3-6d0f-4e5c-9a41-3f2e1d0cba83",
      LogicalResourceId: "Batch",
      Data: { BatchId: newId, Status: "paused" },
    });
    // First: is the old id the subuser's already (a rollback)? No (two reads) → create + pause.
    expect(replaced.calls).toEqual([
      "GET /v3/user/scheduled_sends/{batch_id} 200",
      "GET /v3/mail/batch/{batch_id} 400",
      "POST /v3/mail/batch 201",
      "POST /v3/user/scheduled_sends 201",
    ]);
    const batches = await sg.admin.batches();
    expect(batches.find((b) => b.batch_id === newId)).toMatchObject({ onBehalfOf: "subuser-b", status: "paused" });

    // CloudFormation then deletes the old physical id, with the old properties.
    const cleanup = await invoke("replace-2-delete-old.json", { PHYSICAL_ID: oldId });
    expect(cleanup.body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: oldId,
      StackId: STACK_ID,
      RequestId: "d9f5c0b4-7e1a-4f6d-8b52-4a3f2e1dcb94",
      LogicalResourceId: "Batch",
    });
    // The old batch was declared paused: one PATCH to cancel, no read.
    expect(cleanup.calls).toEqual(["PATCH /v3/user/scheduled_sends/{batch_id} 204"]);
    expect(await statusOf(oldId)).toBe("cancelled");
    expect(await statusOf(newId)).toBe("paused");
  });

  test("Create reading the key from an SSM SecureString, acting for a subuser, Status active: one SendGrid call", async () => {
    const { body, calls, awsCalls } = await invoke("create-ssm.json");
    const ssmId = String(body.PhysicalResourceId);
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: ssmId,
      StackId: STACK_ID,
      RequestId: "5e0d7a52-9c1b-4d8e-8f6a-2b3c4d5e6f70",
      LogicalResourceId: "Batch",
      Data: { BatchId: ssmId, Status: "active" },
    });
    expect(calls).toEqual(["POST /v3/mail/batch 201"]);
    expect(awsCalls).toEqual(["AmazonSSM.GetParameter"]);
    expect((await sg.admin.batches()).find((b) => b.batch_id === ssmId)).toMatchObject({ onBehalfOf: "subuser-a", status: "active" });
  });

  test("Delete of an active batch cancels it with one POST, acting on the declared Status", async () => {
    const ssmId = await activeSubuserBatch();
    const { body, calls } = await invoke("delete.json", { PHYSICAL_ID: ssmId }, declaredActive);
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: ssmId,
      StackId: STACK_ID,
      RequestId: "e0a6d1c5-8f2b-4a7e-9c63-5b4a3f2edca5",
      LogicalResourceId: "Batch",
    });
    expect(calls).toEqual(["POST /v3/user/scheduled_sends 201"]);
    expect(await statusOf(ssmId)).toBe("cancelled");
  });

  test("Delete of a batch declared cancelled confirms it with one read and writes nothing", async () => {
    const ssmId = await activeSubuserBatch();
    await invoke("delete.json", { PHYSICAL_ID: ssmId }, declaredActive); // now cancelled
    const { body, calls } = await invoke("delete.json", { PHYSICAL_ID: ssmId }, (e) => {
      e.ResourceProperties.OnBehalfOf = "subuser-a";
      e.ResourceProperties.Status = "cancelled";
    });
    expect(body.Status).toBe("SUCCESS");
    expect(calls).toEqual(["GET /v3/user/scheduled_sends/{batch_id} 200"]);
  });

  test("Delete of a batch declared active but cancelled out of band: the refused POST is reconciled by one read", async () => {
    const ssmId = await activeSubuserBatch();
    await invoke("delete.json", { PHYSICAL_ID: ssmId }, declaredActive); // cancelled; the template still says active
    const { body, calls } = await invoke("delete.json", { PHYSICAL_ID: ssmId }, declaredActive);
    expect(body.Status).toBe("SUCCESS");
    expect(calls).toEqual(["POST /v3/user/scheduled_sends 400", "GET /v3/user/scheduled_sends/{batch_id} 200"]);
    expect(await statusOf(ssmId)).toBe("cancelled");
  });

  test("Delete of a well-formed id the account does not know is FAILED after one refused cancel (never 'gone'), saying how to retain it", async () => {
    const { body, calls } = await invoke("delete.json", { PHYSICAL_ID: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi" });
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi" });
    expect(body.Reason).toMatch(/SendGrid does not know batch HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi .*DeletionPolicy: Retain/);
    expect(calls).toEqual(["POST /v3/user/scheduled_sends 400"]);
  });

  test("Delete after a failed Create (marker id) succeeds with no SendGrid call and no secret read, even with invalid properties", async () => {
    const { body, calls, awsCalls } = await invoke("delete-after-failed-create.json");
    expect(body).toEqual({
      Status: "SUCCESS",
      PhysicalResourceId: MARKER,
      StackId: STACK_ID,
      RequestId: "f1b7e2d6-903c-4b8f-8d74-6c5b4a3fedb6",
      LogicalResourceId: "Batch",
    });
    expect(calls).toEqual([]);
    expect(awsCalls).toEqual([]);
  });

  test("Delete of an id CloudFormation generated itself succeeds with no SendGrid call", async () => {
    const { body, calls, awsCalls } = await invoke("delete-cfn-generated-id.json");
    expect(body).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: "newsletter-Batch-1XKQ3ZP7EXAMPLE" });
    expect(calls).toEqual([]);
    expect(awsCalls).toEqual([]);
  });

  test("Create with BatchId adopts the existing batch (physical id = that id) and brings it to the status", async () => {
    const existing = await activeSubuserBatch();
    const { body, calls } = await invoke("create.json", {}, (e) => {
      e.ResourceProperties.BatchId = existing;
      e.ResourceProperties.OnBehalfOf = "subuser-a";
    });
    expect(body).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: existing, Data: { BatchId: existing, Status: "paused" } });
    expect(calls).toEqual([
      "GET /v3/user/scheduled_sends/{batch_id} 200",
      "GET /v3/mail/batch/{batch_id} 200",
      "POST /v3/user/scheduled_sends 201",
    ]);
  });

  test("the API key appears in no response body and no log line (invoke checks every run; here a whole lifecycle)", async () => {
    const pausedId = await pausedBatch();
    const runs = [
      await invoke("update-status.json", { PHYSICAL_ID: pausedId }),
      await invoke("create-ssm.json"),
      await invoke("delete.json", { PHYSICAL_ID: pausedId }),
    ];
    const transcripts = runs.flatMap((r) => r.transcript);
    expect(transcripts.length).toBeGreaterThanOrEqual(9);
    for (const t of transcripts) expect(t).not.toContain(DEFAULT_EMULATOR_API_KEY);
  });
});

function isBuiltin(name: string): boolean {
  return builtinModules.includes(name);
}
