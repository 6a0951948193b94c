// End to end without AWS: the example CDK app (examples/cdk) synthesized twice by its cdk.json
// command — as deployed, then with the newsletter cancelled — and the events CloudFormation would
// send for its batches (Create of each, Update of what changed, Delete of each on stack deletion)
// run through the handler bundle of the cloud assembly (the asset CDK would upload), alone in a
// fresh Node process, against the SendGrid emulator, a fake Secrets Manager and a loopback
// ResponseURL. After each step, SendGrid's state; on Delete, never a DELETE request (it would
// release held mail). The steps run in order: each starts from the state the previous one left.

import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import {
  type BundleRun,
  type FakeAws,
  type ReceivedResponse,
  SECRET_ARN,
  STACK_ID,
  awsEnv,
  bundleDir,
  runBundle,
  startFakeAws,
  startResponseServer,
} from "./support/cfn";
import { type Template, idsOf, synthApp } from "./support/cdkApp";
import { useEmulator } from "./support/emulator";

const sg = useEmulator();
const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:SendGridBatches-SendGridFunction9026DE7E-AbCdEfGh1234";

let deployed: Template;
let cancelled: Template;
let dir: string;
let aws: FakeAws;
/** Physical id (the batch id) of each batch resource, from its Create. */
const physicalIds: Record<string, string> = {};

beforeAll(async () => {
  aws = await startFakeAws({ secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY } });
  const context = { "sendgrid:apiKeySecretArn": SECRET_ARN, "sendgrid:apiUrl": sg.url };
  const first = synthApp(context);
  const second = synthApp({ ...context, "sendgrid:newsletterStatus": "cancelled" });
  expect([first.code, second.code]).toEqual([0, 0]);
  deployed = first.template!;
  cancelled = second.template!;
  // The handler as CDK deploys it: the one asset of the cloud assembly.
  const [asset] = fs.readdirSync(first.outdir).filter((f) => f.startsWith("asset."));
  dir = bundleDir(path.join(first.outdir, asset as string, "index.js"));
}, 300_000);

afterAll(async () => {
  await aws?.close();
});

/** A template's properties as CloudFormation hands them to the function: intrinsics resolved, scalars as strings. */
function delivered(template: Template, id: string): Record<string, unknown> {
  const props = template.Resources[id]?.Properties ?? {};
  return Object.fromEntries(
    Object.entries(props).map(([k, v]) => {
      if (k === "ServiceToken") return [k, FUNCTION_ARN];
      if (typeof v === "object" && v !== null) throw new Error(`${id}.${k}: an intrinsic this test cannot resolve: ${JSON.stringify(v)}`);
      return [k, String(v)];
    }),
  );
}

let requestSeq = 0;
/** One CloudFormation event for resource `id`, run through the bundle; returns the one answer it PUT and the SendGrid calls it made. */
async function send(
  requestType: "Create" | "Update" | "Delete",
  id: string,
  properties: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ answer: Record<string, unknown>; calls: string[]; run: BundleRun }> {
  await sg.admin.clearRequests();
  const server = await startResponseServer();
  try {
    requestSeq += 1;
    const event = {
      RequestType: requestType,
      ServiceToken: FUNCTION_ARN,
      ResponseURL: server.url,
      StackId: STACK_ID,
      RequestId: `9d1c7e52-0000-4000-8000-${String(requestSeq).padStart(12, "0")}`,
      ResourceType: "Custom::SendGridScheduledBatch",
      LogicalResourceId: id,
      ResourceProperties: properties,
      ...extra,
    };
    const run = await runBundle(dir, event, { env: awsEnv(aws) });
    expect(run.code).toBe(0);
    expect(server.received).toHaveLength(1);
    const log = await sg.admin.requests();
    const calls = log.filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route ?? r.path} ${r.status}`);
    return { answer: (server.received[0] as ReceivedResponse).json, calls, run };
  } finally {
    await server.close();
  }
}

async function statuses(): Promise<Record<string, string | undefined>> {
  const batches = await sg.admin.batches();
  return Object.fromEntries(Object.entries(physicalIds).map(([id, batch]) => [id, batches.find((b) => b.batch_id === batch)?.status]));
}

/** The app's batch resources by construct id ("Newsletter", "Digest") → logical id. */
function batchIds(template: Template): Record<string, string> {
  return Object.fromEntries(idsOf(template, "Custom::SendGridScheduledBatch").map((id) => [id.replace(/[0-9A-F]{8}$/, ""), id]));
}

test("Create: each batch of the app is made in SendGrid, the newsletter paused and the digest active", async () => {
  const ids = batchIds(deployed);
  expect(Object.keys(ids)).toEqual(["Newsletter", "Digest"]);
  const expectedCalls: Record<string, string[]> = {
    Newsletter: ["POST /v3/mail/batch 201", "POST /v3/user/scheduled_sends 201"],
    Digest: ["POST /v3/mail/batch 201"],
  };
  for (const [name, id] of Object.entries(ids)) {
    const { answer, calls } = await send("Create", id, delivered(deployed, id));
    expect(answer).toMatchObject({ Status: "SUCCESS", LogicalResourceId: id, StackId: STACK_ID });
    const batch = String(answer.PhysicalResourceId);
    expect(answer.Data).toEqual({ BatchId: batch, Status: name === "Newsletter" ? "paused" : "active" });
    expect(calls).toEqual(expectedCalls[name]);
    physicalIds[id] = batch;
  }
  expect(await statuses()).toEqual({ [ids.Newsletter as string]: "paused", [ids.Digest as string]: "active" });
});

test("Update: only the newsletter's properties changed, and its Update cancels that batch in place (same id, one call)", async () => {
  const ids = batchIds(cancelled);
  // CloudFormation sends Update only to resources whose properties changed.
  const changed = Object.values(ids).filter((id) => JSON.stringify(delivered(deployed, id)) !== JSON.stringify(delivered(cancelled, id)));
  expect(changed).toEqual([ids.Newsletter]);
  const id = ids.Newsletter as string;
  const { answer, calls } = await send("Update", id, delivered(cancelled, id), {
    PhysicalResourceId: physicalIds[id],
    OldResourceProperties: delivered(deployed, id),
  });
  expect(answer).toMatchObject({
    Status: "SUCCESS",
    PhysicalResourceId: physicalIds[id],
    Data: { BatchId: physicalIds[id], Status: "cancelled" },
  });
  expect(calls).toEqual(["PATCH /v3/user/scheduled_sends/{batch_id} 204"]);
  expect(await statuses()).toEqual({ [ids.Newsletter as string]: "cancelled", [ids.Digest as string]: "active" });
});

test("Delete (stack deletion): every batch ends cancelled, and no request is a DELETE", async () => {
  const ids = batchIds(cancelled);
  const expectedCalls: Record<string, string[]> = {
    // Declared cancelled: one read confirms it, nothing is written.
    Newsletter: ["GET /v3/user/scheduled_sends/{batch_id} 200"],
    // Declared active: one cancel.
    Digest: ["POST /v3/user/scheduled_sends 201"],
  };
  for (const [name, id] of Object.entries(ids)) {
    const { answer, calls } = await send("Delete", id, delivered(cancelled, id), { PhysicalResourceId: physicalIds[id] });
    expect(answer).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: physicalIds[id] });
    expect(calls).toEqual(expectedCalls[name]);
    expect(calls.filter((c) => c.startsWith("DELETE "))).toEqual([]);
  }
  expect(await statuses()).toEqual({ [ids.Newsletter as string]: "cancelled", [ids.Digest as string]: "cancelled" });
});
