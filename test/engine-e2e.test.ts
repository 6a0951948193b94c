// ScheduledBatch through the real Pulumi engine (CLI + Automation API, local file backend) against
// the emulator: what preview says, what up/refresh/destroy do to SendGrid, and what state holds.
import * as fs from "node:fs";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { basicProgram } from "../examples/basic/program";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(240_000);

const sg = useEmulator();
const stacks: LocalStack[] = [];

afterAll(async () => {
  for (const s of stacks) await s.dispose();
});

const sendgridCalls = () => takeSendGridCalls(sg.admin);

async function basicStack(config: Record<string, string>): Promise<LocalStack> {
  const s = await localStack({
    projectName: "sendgrid-batch-basic",
    stackName: `e2e${stacks.length}`,
    program: async () => basicProgram(),
    config: { apiUrl: sg.url, ...config },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  return s;
}

interface Step {
  op: OpType;
  type: string;
  changed: string[];
}

/** The resource steps of a preview, with the input keys that change (as `--diff` shows them). */
function collector(): { steps: Step[]; onEvent: (e: EngineEvent) => void } {
  const steps: Step[] = [];
  return {
    steps,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (m?.type !== "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch") return;
      const olds = m.old?.inputs ?? {};
      const news = m.new?.inputs ?? {};
      const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !k.startsWith("__")));
      const changed = [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
      steps.push({ op: m.op, type: m.type, changed });
    },
  };
}

/** Runs one step of an ordered lifecycle; a failure names the step. */
async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) err.message = `step "${name}" failed:\n${err.message}`;
    throw err;
  }
}

async function stateText(s: LocalStack): Promise<string> {
  return s
    .backendFiles()
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}

// One ordered lifecycle, as Terraform's test steps are: each step starts from the state the last one
// left, and the first failing step ends the test (naming the step) instead of cascading.
test("the lifecycle of the basic example through the engine, step by step", async () => {
  await sg.admin.reset();
  const s = await basicStack({ status: "active" });
  let batchId = "";

  await step("preview of a new stack lists the create and makes zero SendGrid requests", async () => {
    const c = collector();
    const res = await s.stack.preview({ onEvent: c.onEvent });
    expect(res.changeSummary).toMatchObject({ create: 2 }); // the stack and the batch
    expect(c.steps.map((x) => x.op)).toEqual(["create"]);
    expect(await sendgridCalls()).toEqual([]);
  });

  await step("up creates the batch that the stack output names", async () => {
    const res = await s.stack.up();
    batchId = String(res.outputs.batchId.value);
    expect(res.outputs.status.value).toBe("active");
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "active"]]);
    expect(await sendgridCalls()).toEqual(["POST /v3/mail/batch"]);
  });

  await step("a status change previews as an update of exactly `status`, with no request", async () => {
    await s.stack.setConfig("status", { value: "paused" });
    const c = collector();
    const res = await s.stack.preview({ onEvent: c.onEvent, diff: true });
    expect(c.steps).toEqual([{ op: "update", type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", changed: ["status"] }]);
    expect(res.stdout).toMatch(/~ status\s*:\s*"active" => "paused"/);
    expect(res.changeSummary).toMatchObject({ update: 1 });
    expect(await sendgridCalls()).toEqual([]);
  });

  await step("up then makes exactly the one call the state machine predicts", async () => {
    const res = await s.stack.up();
    expect(res.outputs.status.value).toBe("paused");
    expect(await sendgridCalls()).toEqual(["POST /v3/user/scheduled_sends"]);
    expect((await sg.admin.batches())[0].status).toBe("paused");
  });

  await step("a no-op up makes no SendGrid request", async () => {
    const res = await s.stack.up();
    expect(res.summary.resourceChanges).toEqual({ same: 2 });
    expect(await sendgridCalls()).toEqual([]);
  });

  await step("respelling the same account previews as no change (a replace would discard the batch's mail)", async () => {
    const port = new URL(sg.url).port;
    for (const [apiUrl, region] of [
      [`${sg.url}/`, undefined],
      [`http://127.0.0.1:${port}/`, "global"],
      [sg.url, "eu"], // the region names no host when apiUrl does
    ]) {
      await s.stack.setConfig("apiUrl", { value: apiUrl as string });
      if (region) await s.stack.setConfig("region", { value: region });
      const c = collector();
      try {
        await s.stack.preview({ onEvent: c.onEvent });
      } finally {
        await s.stack.setConfig("apiUrl", { value: sg.url });
        await s.stack.removeConfig("region");
      }
      expect(c.steps.map((x) => x.op)).toEqual(["same"]);
    }
    expect(await sendgridCalls()).toEqual([]);
  });

  await step("a change of onBehalfOf or of the API host previews as a replace", async () => {
    for (const [key, value] of [
      ["onBehalfOf", "subuser-a"],
      ["apiUrl", sg.url.replace("127.0.0.1", "localhost")],
    ]) {
      await s.stack.setConfig(key, { value });
      const c = collector();
      try {
        await s.stack.preview({ onEvent: c.onEvent });
      } finally {
        if (key === "apiUrl") await s.stack.setConfig("apiUrl", { value: sg.url });
        else await s.stack.removeConfig(key);
      }
      // Create the new batch, then cancel the old one (create-before-delete).
      expect(c.steps.map((x) => x.op)).toEqual(["create-replacement", "replace", "delete-replaced"]);
      expect(c.steps[1].changed).toEqual([key]);
    }
    expect(await sendgridCalls()).toEqual([]);
  });

  await step("refresh records a status changed out of band, and the next preview shows the way back", async () => {
    // Someone resumes the batch in SendGrid directly.
    const res = await fetch(`${sg.url}/v3/user/scheduled_sends/${batchId}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    expect(res.status).toBe(204);
    await sg.admin.clearRequests();

    await s.stack.refresh();
    const exported = await s.stack.exportStack();
    const batch = exported.deployment.resources.find((r: { type: string }) => r.type.endsWith(":ScheduledBatch"));
    expect(batch.outputs.status).toBe("active");
    expect(batch.inputs.status).toBe("active");
    expect(await sendgridCalls()).toEqual(["GET /v3/user/scheduled_sends/{batch_id}", "GET /v3/mail/batch/{batch_id}"]);

    const c = collector();
    await s.stack.preview({ onEvent: c.onEvent });
    expect(c.steps).toEqual([{ op: "update", type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", changed: ["status"] }]);
  });

  await step("the state never holds the API key, and the serialized provider is small", async () => {
    await s.stack.up();
    const text = await stateText(s);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(DEFAULT_EMULATOR_API_KEY);
    const exported = await s.stack.exportStack();
    const batch = exported.deployment.resources.find((r: { type: string }) => r.type.endsWith(":ScheduledBatch"));
    const size = Buffer.byteLength(String(batch.outputs.__provider));
    expect(size).toBeLessThanOrEqual(2900);
    // The key set with --secret is stored only as ciphertext (in the default provider's inputs).
    expect(text).toMatch(
      /"sendgrid:apiKey":\s*\{\s*"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/,
    );
  });

  await step("destroy cancels the batch, and a second destroy is a no-op", async () => {
    await sg.admin.clearRequests();
    await s.stack.destroy();
    expect((await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status).toBe("cancelled");
    expect(await sendgridCalls()).toEqual(["PATCH /v3/user/scheduled_sends/{batch_id}"]);
    const again = await s.stack.destroy();
    expect(again.summary.resourceChanges ?? {}).toEqual({});
    expect(await sendgridCalls()).toEqual([]);
  });
}, 1_200_000);

test("with the key in SENDGRID_API_KEY, neither state nor the engine's -v=9 logs ever contain it", async () => {
  await sg.admin.reset();
  const s = await localStack({
    projectName: "sendgrid-env-key",
    program: async () => {
      const b = new ScheduledBatch("env", { status: "paused", apiUrl: sg.url });
      return { batchId: b.batchId };
    },
    env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  const logs: string[] = [];
  for (const run of [
    () => s.stack.preview({ logVerbosity: 9, logToStdErr: true, debug: true }),
    () => s.stack.up({ logVerbosity: 9, logToStdErr: true, debug: true }),
    () => s.stack.refresh({ logVerbosity: 9, logToStdErr: true, debug: true }),
    () => s.stack.destroy({ logVerbosity: 9, logToStdErr: true, debug: true }),
  ]) {
    const res = await run();
    logs.push(res.stdout, res.stderr);
  }
  const all = logs.join("\n");
  expect(all.length).toBeGreaterThan(50_000); // -v=9 really logged, gRPC payloads included
  expect(all).toMatch(/Marshaling property for RPC/);
  expect(all).not.toContain(DEFAULT_EMULATOR_API_KEY);
  expect(await stateText(s)).not.toContain(DEFAULT_EMULATOR_API_KEY);
  expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["cancelled"]);
});

test("a program that adopts an existing batch takes it over without creating a new one", async () => {
  await sg.admin.reset();
  const made = await fetch(`${sg.url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` } });
  const { batch_id: existing } = (await made.json()) as { batch_id: string };
  await sg.admin.clearRequests();

  const s = await localStack({
    projectName: "sendgrid-adopt",
    program: async () => {
      const b = new ScheduledBatch("adopted", { batchId: existing, status: "paused" as BatchStatus, apiUrl: sg.url });
      return { batchId: b.batchId, adopted: b.adopted, apiUrl: b.apiUrl, region: b.region };
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  const res = await s.stack.up();
  expect(res.outputs.batchId.value).toBe(existing);
  // The declared outputs are set on the resource (an output the SDK does not know stays undefined).
  expect([res.outputs.adopted.value, res.outputs.apiUrl.value, res.outputs.region?.value]).toEqual([true, sg.url, undefined]);
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[existing, "paused"]]);
  expect(await sendgridCalls()).toEqual([
    "GET /v3/user/scheduled_sends/{batch_id}",
    "GET /v3/mail/batch/{batch_id}",
    "POST /v3/user/scheduled_sends",
  ]);
});

test("a create that made the batch but could not pause it is recorded, and the next up converges", async () => {
  await sg.admin.reset();
  // Fill SendGrid's quota of 10 paused/cancelled batches from outside the stack.
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`${sg.url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` } });
    const { batch_id } = (await r.json()) as { batch_id: string };
    await fetch(`${sg.url}/v3/user/scheduled_sends`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ batch_id, status: "cancel" }),
    });
  }
  const s = await localStack({
    projectName: "sendgrid-partial",
    program: async () => {
      const b = new ScheduledBatch("held", { status: "paused", apiUrl: sg.url });
      return { batchId: b.batchId };
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
    // Nothing in this run frees a slot: a short wait for one keeps the test quick.
    env: { SENDGRID_QUOTA_WAIT_SECONDS: "1" },
  });
  stacks.push(s);
  await expect(s.stack.up()).rejects.toThrow(/max limit reached[\s\S]*at most 10 batches paused or cancelled/);
  const exported = await s.stack.exportStack();
  const batch = exported.deployment.resources.find((r: { type: string }) => r.type.endsWith(":ScheduledBatch"));
  expect(batch).toBeDefined();
  expect(batch.outputs.status).toBe("active");
  const recordedId = batch.id as string;
  expect((await sg.admin.batches()).find((b) => b.batch_id === recordedId)?.status).toBe("active");

  // Free one slot; the next up pauses the recorded batch instead of creating another.
  const victim = (await sg.admin.batches()).find((b) => b.status === "cancelled")!;
  await fetch(`${sg.url}/v3/user/scheduled_sends/${victim.batch_id}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
  });
  const before = (await sg.admin.batches()).length;
  const res = await s.stack.up();
  expect(res.outputs.batchId.value).toBe(recordedId);
  expect((await sg.admin.batches()).length).toBe(before);
  expect((await sg.admin.batches()).find((b) => b.batch_id === recordedId)?.status).toBe("paused");
});

test("an apiUrl host spelled with its trailing dot is the same host: preview says same, up changes nothing, destroy cancels the batch", async () => {
  await sg.admin.reset();
  const port = new URL(sg.url).port;
  const s = await basicStack({ status: "paused", apiUrl: `http://localhost:${port}` });
  const made = await s.stack.up();
  const batchId = String(made.outputs.batchId.value);
  await sendgridCalls();

  // "localhost." is the fully qualified name of "localhost" (it does not even resolve here, so every
  // request below reaches the emulator only through the canonical origin).
  await s.stack.setConfig("apiUrl", { value: `http://localhost.:${port}` });
  const c = collector();
  await s.stack.preview({ onEvent: c.onEvent });
  expect(c.steps.map((x) => x.op)).toEqual(["same"]);
  const again = await s.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 2 });
  expect(await sendgridCalls()).toEqual([]);

  await s.stack.destroy();
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "cancelled"]]);
  expect(await sendgridCalls()).toEqual(["PATCH /v3/user/scheduled_sends/{batch_id}"]);
});
