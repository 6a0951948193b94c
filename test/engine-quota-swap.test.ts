// A plan whose end state fits SendGrid's quota applies, even though the engine runs the updates in
// parallel and a pause can reach SendGrid before the resume that frees its slot: the refused pause
// ("max limit reached") is retried for a bounded time instead of failing the `up`.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { setStatus, createBatch as createRawBatch } from "./support/emulatorCalls";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(240_000);

const sg = useEmulator();
const proxy = useSendGridProxy(sg);
let s: LocalStack | undefined;

afterAll(async () => {
  await s?.dispose();
});

const NAMES = ["a", "b", "c", "d"] as const;

test("swapping which batches are paused at the 10-batch limit succeeds in one up, and state equals SendGrid", async () => {
  await sg.admin.reset();
  // Eight paused batches outside the stack (someone else's, made directly in SendGrid).
  for (let i = 0; i < 8; i++) {
    const id = await createRawBatch(sg.emulator);
    expect((await setStatus(sg.emulator, id, "pause")).status).toBe(201);
  }
  s = await localStack({
    projectName: "sendgrid-quota-swap",
    program: async () => {
      const swapped = new pulumi.Config().getBoolean("swapped") ?? false;
      const out: Record<string, pulumi.Output<string>> = {};
      for (const name of NAMES) {
        const pausedFirst = name === "a" || name === "b";
        const status: BatchStatus = pausedFirst !== swapped ? "paused" : "active";
        out[name] = new ScheduledBatch(name, { status, apiUrl: proxy.url }).batchId;
      }
      return out;
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
    // Bounded: if no slot came free, the up would fail after this many seconds.
    env: { SENDGRID_QUOTA_WAIT_SECONDS: "30" },
  });
  const first = await s.stack.up();
  const ids = Object.fromEntries(NAMES.map((n) => [n, String(first.outputs[n].value)]));
  expect((await sg.admin.batches()).filter((b) => b.status === "paused")).toHaveLength(10);

  // Resume a and b, pause c and d. The resumes are held back a little on their way to SendGrid,
  // so the pauses arrive first and meet a full account, as they can under the engine's parallelism.
  await sg.admin.clearRequests();
  proxy.rules.delayMs = { DELETE: 1500 };
  await s.stack.setConfig("swapped", { value: "true" });
  let output = "";
  const second = await s.stack.up({ onOutput: (text) => (output += text) });
  proxy.rules.delayMs = undefined;

  expect(second.summary.result).toBe("succeeded");
  const log = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
  // The race really happened: a pause was refused before a slot was free …
  expect(log.some((r) => r.method === "POST" && r.status === 400)).toBe(true);
  // … and the run said what it was waiting for, through the engine's output (the CI log).
  expect(output).toMatch(
    /sendgrid-batch: waiting for a free slot to pause batch [\w-]+: SendGrid holds its limit of batches paused or cancelled at once \("max limit reached"\)\. Retrying while other changes of this run may free one: \d+ s of at most 30 s/,
  );
  // … and nothing was released to make room: exactly the two resumes the plan asks for.
  expect(
    log
      .filter((r) => r.method === "DELETE")
      .map((r) => r.path)
      .sort(),
  ).toEqual([ids.a, ids.b].map((id) => `/v3/user/scheduled_sends/${id}`).sort());

  const held = new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  expect(NAMES.map((n) => held.get(ids[n]))).toEqual(["active", "active", "paused", "paused"]);
  expect([...held.values()].filter((v) => v === "paused")).toHaveLength(10);
  const exported = await s.stack.exportStack();
  const recorded = exported.deployment.resources
    .filter((r: { type: string }) => r.type.endsWith(":ScheduledBatch"))
    .map((r: { id: string; outputs: { status: string } }) => [r.id, r.outputs.status]);
  expect(recorded).toHaveLength(4);
  for (const [id, status] of recorded) expect(held.get(id)).toBe(status);
});
