// Failure paths of the built bundle, each in its own fresh Node process: CloudFormation must get
// exactly one FAILED answer with a reason a person can act on, before the function's deadline,
// with the API key nowhere in the answer or the logs.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import {
  SECRET_ARN,
  awsEnv,
  loadEvent,
  runBundle,
  startFakeAws,
  startResponseServer,
  type CfnEvent,
  MARKER,
  STACK_ID,
  useLambdaBundle,
} from "./support/cfn";
import { useEmulator } from "./support/emulator";

const CREATE_REQUEST = "0f8b8e4c-3a5e-4f1e-9a35-7d6e0b2c9c11";
const WRONG_KEY = "SG.revokedKeyThatSendGridRejects.0123456789abcdefghijklmnop";
const WRONG_KEY_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:revoked-key-XyZ123";

const sg = useEmulator({ resetBeforeEach: true });
const lambda = useLambdaBundle({ secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY, [WRONG_KEY_ARN]: WRONG_KEY } });

beforeEach(async () => {
  await sg.admin.configure({ rateLimit: false, faults: false });
  await sg.admin.clearRequests();
});

async function sendgridCalls(): Promise<string[]> {
  return (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route ?? r.path} ${r.status}`);
}

async function invoke(
  fixture: string,
  opts: { vars?: Record<string, string>; edit?: (e: CfnEvent) => void; timeoutMs?: number; env?: Record<string, string> } = {},
) {
  const server = await startResponseServer();
  try {
    const event = loadEvent(fixture, { SECRET_ARN, API_URL: sg.url, ...opts.vars }, server.url);
    opts.edit?.(event);
    const spawnedAt = Date.now();
    const run = await runBundle(lambda.dir, event, { env: { ...awsEnv(lambda.aws), ...opts.env }, timeoutMs: opts.timeoutMs });
    // Whatever failed, neither key appears in the output or the response (checked on every run).
    const transcript = [run.stdout, run.stderr, ...server.received.map((r) => r.bytes.toString("utf8"))];
    for (const t of transcript) {
      expect(t).not.toContain(DEFAULT_EMULATOR_API_KEY);
      expect(t).not.toContain(WRONG_KEY);
    }
    return { run, received: server.received, body: server.received[0]?.json ?? {}, spawnedAt, calls: await sendgridCalls(), transcript };
  } finally {
    await server.close();
  }
}

function failedCreate(reason: string): Record<string, unknown> {
  return {
    Status: "FAILED",
    Reason: reason,
    PhysicalResourceId: MARKER,
    StackId: STACK_ID,
    RequestId: CREATE_REQUEST,
    LogicalResourceId: "Batch",
  };
}

describe("the bundle answers FAILED, once, with an actionable reason", () => {
  test("invalid properties: zero SendGrid calls, zero secret reads, every problem named by its template property", async () => {
    const awsBefore = lambda.aws.calls.length;
    const { run, received, body, calls } = await invoke("create.json", {
      edit: (e) => {
        e.ResourceProperties.Status = "stopped";
        e.ResourceProperties.SendAt = "1795000000000";
        e.ResourceProperties.status = "paused";
      },
    });
    expect(run.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(body).toEqual(
      failedCreate(
        'Invalid properties: unknown property "status"; did you mean "Status"?; ' +
          'Status: status must be one of "active", "paused", "cancelled" (got "stopped"); ' +
          "SendAt: sendAt 1795000000000 looks like milliseconds; SendGrid's send_at is Unix seconds (use 1795000000)",
      ),
    );
    expect(calls).toEqual([]);
    expect(lambda.aws.calls.length).toBe(awsBefore);
  });

  test("the API key as a plain property is refused without echoing it", async () => {
    const { body, calls } = await invoke("create.json", {
      edit: (e) => {
        e.ResourceProperties.ApiKey = DEFAULT_EMULATOR_API_KEY;
      },
    });
    expect(body).toEqual(
      failedCreate(
        "Invalid properties: ApiKey: the API key must not be a template property (it would be visible in the template, change sets and events); " +
          "store it in Secrets Manager and pass ApiKeySecretArn, or in an SSM SecureString and pass ApiKeyParameterName",
      ),
    );
    expect(calls).toEqual([]);
  });

  test("a {{resolve:secretsmanager:…}} reference is explained (CloudFormation does not resolve it for custom resources)", async () => {
    const { body } = await invoke("create.json", {
      edit: (e) => {
        e.ResourceProperties.ApiKeySecretArn = "{{resolve:secretsmanager:sendgrid-api-key:SecretString}}";
      },
    });
    expect(body.Reason).toBe(
      "Invalid properties: ApiKeySecretArn holds a {{resolve:…}} dynamic reference, which CloudFormation does not resolve for custom resources; " +
        "pass the secret's ARN or the parameter's name itself and the function reads the key",
    );
  });

  test("a missing secret (ResourceNotFoundException): FAILED naming the secret and what to do, no SendGrid call", async () => {
    const missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist-QwErTy";
    const { body, calls } = await invoke("create.json", { vars: { SECRET_ARN: missing } });
    expect(body).toEqual(
      failedCreate(
        `Secrets Manager has no secret ${missing} (ResourceNotFoundException): create it with the SendGrid API key as its value, or fix ApiKeySecretArn`,
      ),
    );
    expect(calls).toEqual([]);
  });

  test("a key SendGrid rejects: FAILED with SendGrid's status and message, the key nowhere", async () => {
    const { body, calls, run } = await invoke("create.json", { vars: { SECRET_ARN: WRONG_KEY_ARN } });
    expect(body).toEqual(
      failedCreate(
        "SendGrid POST /v3/mail/batch failed: 401 The provided authorization grant is invalid, expired, or revoked. " +
          "The API key was rejected: put an active key into the secret/parameter named by ApiKeySecretArn/ApiKeyParameterName",
      ),
    );
    expect(calls).toEqual(["POST /v3/mail/batch 401"]);
    expect(run.stdout + run.stderr).not.toContain(WRONG_KEY);
  });

  test("SendGrid down (closed port): FAILED after bounded retries, naming the host", async () => {
    const closed = await closedPort();
    const { body, run } = await invoke("create.json", { vars: { API_URL: `http://127.0.0.1:${closed}` } });
    expect(run.code).toBe(0);
    expect(body).toEqual(
      failedCreate(
        `SendGrid POST /v3/mail/batch failed: could not reach http://127.0.0.1:${closed} (ECONNREFUSED). ` +
          "Check ApiUrl/Region and that the function can reach SendGrid (no VPC without NAT), then retry the stack operation",
      ),
    );
  });

  test("429s: the handler waits for X-RateLimit-Reset and then succeeds", async () => {
    await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 2 } });
    // Use up this second's allowance for POST /v3/mail/batch with the same account's key.
    const res = await fetch(`${sg.url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    expect(res.status).toBe(201);
    await sg.admin.clearRequests();
    const { body, calls } = await invoke("create.json");
    expect(body).toMatchObject({ Status: "SUCCESS", Data: { Status: "paused" } });
    expect(calls[0]).toBe("POST /v3/mail/batch 429");
    expect(calls.slice(-2)).toEqual(["POST /v3/mail/batch 201", "POST /v3/user/scheduled_sends 201"]);
  });

  test("429s that outlast the deadline: FAILED (timed out) before the function's deadline", async () => {
    await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
    await fetch(`${sg.url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` } });
    await sg.admin.clearRequests();
    const { body, run, received, spawnedAt } = await invoke("create.json", { timeoutMs: 4000 });
    expect(run.code).toBe(0); // the runner exits 124 if the handler outlives the deadline
    expect(received).toHaveLength(1);
    expect(received[0]!.time - spawnedAt).toBeLessThan(4000 + 500);
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: MARKER });
    expect(String(body.Reason)).toMatch(
      /^Timed out: the Create did not finish within 3\.\d s \(the function had [34]\.\d s left; the rest is kept for answering CloudFormation\); last SendGrid answer: POST \/v3\/mail\/batch 429\. /,
    );
  });

  test("a Create cut short after minting its batch answers with that batch id, so rollback cancels it", async () => {
    const made = await fetch(`${sg.url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    const { batch_id: other } = (await made.json()) as { batch_id: string };
    // Use up the minute's allowance for POST /v3/user/scheduled_sends (not for POST /v3/mail/batch).
    await sg.admin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
    await fetch(`${sg.url}/v3/user/scheduled_sends`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ batch_id: other, status: "pause" }),
    });
    await sg.admin.clearRequests();
    const { body, run, received } = await invoke("create.json", { timeoutMs: 4000 });
    expect(run.code).toBe(0);
    expect(received).toHaveLength(1);
    const minted = (await sg.admin.batches()).map((b) => b.batch_id).filter((id) => id !== other);
    expect(minted).toHaveLength(1);
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: minted[0] });
    expect(String(body.Reason)).toMatch(/^Timed out: the Create did not finish.*POST \/v3\/user\/scheduled_sends 429/);
  });

  test("a slow SendGrid (emulator fault: every request held 10 s): FAILED before a 3 s deadline", async () => {
    await sg.admin.configure({ faults: { seed: 1, rate: 1, kinds: ["slow"], slowMs: 10_000 } });
    const { body, run, received, spawnedAt } = await invoke("update-status.json", {
      vars: { PHYSICAL_ID: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi" },
      timeoutMs: 3000,
    });
    expect(run.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]!.time - spawnedAt).toBeLessThan(3000 + 500);
    expect(body).toMatchObject({
      Status: "FAILED",
      PhysicalResourceId: "HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi",
      RequestId: "a6c2f7e1-4b8d-4c3a-9e2f-1d0c9b8a7f61",
    });
    expect(String(body.Reason)).toMatch(
      /^Timed out: the Update did not finish within 2\.\d s .*; no SendGrid answer yet\. Stopped at the deadline without an answer: DELETE \/v3\/user\/scheduled_sends\/HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi; it may still have reached SendGrid.* Retry the stack operation/,
    );
  });

  test("a hung Secrets Manager: the SDK call is aborted and FAILED arrives before a 3 s deadline", async () => {
    const hung = await startFakeAws({ secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY }, delayMs: 20_000 });
    try {
      const { body, run, received } = await invoke("create.json", { timeoutMs: 3000, env: awsEnv(hung) });
      expect(run.code).toBe(0);
      expect(received).toHaveLength(1);
      expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: MARKER });
      expect(String(body.Reason)).toMatch(/^Timed out: the Create did not finish/);
    } finally {
      await hung.close();
    }
  });

  test("Create whose pause step fails (quota full) answers FAILED with the NEW batch id; the rollback Delete cancels it", async () => {
    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    // Someone else's paused batch fills the only slot.
    const other = await fetch(`${sg.url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    const otherId = ((await other.json()) as { batch_id: string }).batch_id;
    await fetch(`${sg.url}/v3/user/scheduled_sends`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ batch_id: otherId, status: "pause" }),
    });
    await sg.admin.clearRequests();

    // No wait for a slot to come free (nothing would free it here).
    const { body, calls } = await invoke("create.json", { env: { SENDGRID_QUOTA_WAIT_SECONDS: "0" } });
    const newId = String(body.PhysicalResourceId);
    expect(newId).not.toBe(MARKER);
    expect(body).toEqual({
      Status: "FAILED",
      Reason:
        "SendGrid POST /v3/user/scheduled_sends failed: 400 max limit reached. SendGrid allows at most 10 batches paused or cancelled at once; " +
        "resume one, or free slots held by cancelled batches whose send time has passed with `sendgrid-batches clear-cancelled` " +
        `(batch ${newId} was created; the stack rollback cancels it)`,
      PhysicalResourceId: newId,
      StackId: STACK_ID,
      RequestId: CREATE_REQUEST,
      LogicalResourceId: "Batch",
    });
    expect(calls).toEqual(["POST /v3/mail/batch 201", "POST /v3/user/scheduled_sends 400", "GET /v3/user/scheduled_sends/{batch_id} 200"]);

    // The operator frees a slot; CloudFormation's rollback Delete for the new id cancels it.
    await sg.admin.configure({ maxPausedOrCancelled: 10 });
    const rollback = await invoke("delete.json", { vars: { PHYSICAL_ID: newId } });
    expect(rollback.body).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: newId });
    expect((await sg.admin.batches()).find((b) => b.batch_id === newId)?.status).toBe("cancelled");
  });

  test.each(["abc", "60s", "999999"])(
    "SENDGRID_QUOTA_WAIT_SECONDS=%s in the function's environment: FAILED naming the variable, the value and the range; no secret read, no SendGrid call",
    async (value) => {
      const awsBefore = lambda.aws.calls.length;
      const { run, body, calls } = await invoke("create.json", { env: { SENDGRID_QUOTA_WAIT_SECONDS: value } });
      expect(run.code).toBe(0);
      expect(body).toEqual(
        failedCreate(
          `SENDGRID_QUOTA_WAIT_SECONDS must be a whole number of seconds from 0 to 600 (how long a pause or cancel refused with "max limit reached" waits for a free slot; 0 turns the wait off), got ${JSON.stringify(value)}: fix the function's environment`,
        ),
      );
      expect(calls).toEqual([]);
      expect(lambda.aws.calls.length).toBe(awsBefore);
    },
  );

  test("while a pause waits for a free quota slot, the log says what it waits for", async () => {
    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    const other = await fetch(`${sg.url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    const otherId = ((await other.json()) as { batch_id: string }).batch_id;
    await fetch(`${sg.url}/v3/user/scheduled_sends`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ batch_id: otherId, status: "pause" }),
    });
    await sg.admin.clearRequests();

    const { run, body } = await invoke("create.json", { env: { SENDGRID_QUOTA_WAIT_SECONDS: "1" } });
    const newId = String(body.PhysicalResourceId);
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: newId });
    const waiting = run.stdout
      .split("\n")
      .filter((line) => line.includes("waiting for a free slot"))
      .map((line) => JSON.parse(line) as { level: string; message: string });
    expect(waiting[0]).toEqual({
      level: "info",
      message:
        `waiting for a free slot to pause batch ${newId}: SendGrid holds its limit of batches paused or cancelled at once ("max limit reached"). ` +
        "Retrying while other changes of this run may free one: 0 s of at most 1 s (SENDGRID_QUOTA_WAIT_SECONDS sets it, 0 turns it off); nothing is resumed to make room",
    });
  });

  test("a replacing Update whose pause step fails keeps the OLD id and names the unused replacement batch", async () => {
    const sendgrid = (path: string, body: unknown, onBehalfOf?: string) =>
      fetch(`${sg.url}${path}`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`,
          "Content-Type": "application/json",
          ...(onBehalfOf ? { "on-behalf-of": onBehalfOf } : {}),
        },
        body: JSON.stringify(body),
      });
    const oldId = ((await (await sendgrid("/v3/mail/batch", {})).json()) as { batch_id: string }).batch_id;
    // The subuser's only paused-or-cancelled slot is taken, so the replacement cannot be paused.
    await sg.admin.configure({ maxPausedOrCancelled: 1 });
    const otherId = ((await (await sendgrid("/v3/mail/batch", {}, "subuser-b")).json()) as { batch_id: string }).batch_id;
    await sendgrid("/v3/user/scheduled_sends", { batch_id: otherId, status: "pause" }, "subuser-b");
    await sg.admin.clearRequests();

    const { body, calls } = await invoke("replace-1-update-onbehalfof.json", {
      vars: { PHYSICAL_ID: oldId },
      env: { SENDGRID_QUOTA_WAIT_SECONDS: "0" },
    });
    const replacement = (await sg.admin.batches()).find((b) => b.batch_id !== oldId && b.batch_id !== otherId);
    expect(replacement).toMatchObject({ onBehalfOf: "subuser-b", status: "active" });
    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: oldId });
    expect(String(body.Reason)).toMatch(/^SendGrid POST \/v3\/user\/scheduled_sends failed: 400 max limit reached\./);
    expect(String(body.Reason)).toContain(`(replacement batch ${replacement?.batch_id} was created and left unused)`);
    expect(calls).toEqual([
      "GET /v3/user/scheduled_sends/{batch_id} 200",
      "GET /v3/mail/batch/{batch_id} 400",
      "POST /v3/mail/batch 201",
      "POST /v3/user/scheduled_sends 400",
      "GET /v3/user/scheduled_sends/{batch_id} 200",
    ]);
  });

  test("an event without ResponseURL is logged and dropped (nobody to answer), exit 0", async () => {
    const { run, received } = await invoke("create.json", {
      edit: (e) => {
        delete e.ResponseURL;
      },
    });
    expect(run.code).toBe(0);
    expect(received).toHaveLength(0);
    expect(run.logLines).toHaveLength(1);
    expect(run.logLines[0]).toMatchObject({ level: "error", outcome: { action: "ignored" } });
  });

  test("an unknown RequestType answers FAILED", async () => {
    const { body } = await invoke("create.json", {
      edit: (e) => {
        e.RequestType = "Upsert";
      },
    });
    expect(body).toEqual(failedCreate('Unknown RequestType "Upsert"; expected Create, Update or Delete'));
  });

  test("a huge reason is trimmed so the whole body stays ≤ 4096 bytes, keeping the start", async () => {
    const { body, received } = await invoke("create.json", {
      edit: (e) => {
        for (let i = 0; i < 120; i++) e.ResourceProperties[`Unknown_Ünïcödé_Property_${i}`] = "x";
      },
    });
    expect(received[0]!.bytes.length).toBeLessThanOrEqual(4096);
    expect(received[0]!.bytes.length).toBeGreaterThan(3900);
    expect(received[0]!.contentLength).toBe(String(received[0]!.bytes.length));
    expect(String(body.Reason)).toMatch(
      /^Invalid properties: unknown properties "Unknown_Ünïcödé_Property_0", "Unknown_Ünïcödé_Property_1", /,
    );
    expect(String(body.Reason)).toMatch(/ …\[truncated\]$/);
  });

  test("the API key appears in no response body and no log line of any failure (invoke checks every run; here two)", async () => {
    const plain = await invoke("create.json", {
      edit: (e) => {
        e.ResourceProperties.ApiKey = DEFAULT_EMULATOR_API_KEY;
      },
    });
    const rejected = await invoke("create.json", { vars: { SECRET_ARN: WRONG_KEY_ARN } });
    const transcripts = [...plain.transcript, ...rejected.transcript];
    expect(transcripts.length).toBeGreaterThanOrEqual(6);
    for (const t of transcripts) {
      expect(t).not.toContain(DEFAULT_EMULATOR_API_KEY);
      expect(t).not.toContain(WRONG_KEY);
    }
  });
});

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
