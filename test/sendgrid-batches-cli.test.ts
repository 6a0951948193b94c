// `sendgrid-batches`: frees quota slots held by cancelled batches whose mail is already gone,
// and never touches a paused batch or a cancelled one whose send time is still ahead.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { classify, main, sendTimesFromState } from "../cli/sendgrid-batches";
import { SendGridBatchClient, createBatch } from "../core";

const sg = useEmulator();
let client: SendGridBatchClient;
const NOW = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
  process.env.SENDGRID_API_KEY = DEFAULT_EMULATOR_API_KEY;
});
beforeEach(() => sg.admin.reset());

async function run(args: string[], confirm?: boolean): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, "--api-url", sg.url], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    confirm: confirm === undefined ? undefined : async () => confirm,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("classifies each entry: only cancelled batches whose send time has passed are clearable", () => {
  const rows = classify(
    [
      { batch_id: "past", status: "cancel" },
      { batch_id: "future", status: "cancel" },
      { batch_id: "unknown", status: "cancel" },
      { batch_id: "held", status: "pause" },
    ],
    new Map([
      ["past", [{ source: "a.json", time: { seconds: NOW - 3600 } }]],
      ["future", [{ source: "a.json", time: { seconds: NOW + 3600 } }]],
      ["held", [{ source: "a.json", time: { seconds: NOW - 3600 } }]],
    ]),
    NOW,
    600,
  );
  expect(rows.map((r) => [r.batchId, r.clearable])).toEqual([
    ["past", true],
    ["future", false],
    ["unknown", false],
    ["held", false],
  ]);
});

test("reads every send time a `pulumi stack export` document records per batch", () => {
  const doc = {
    deployment: {
      resources: [
        { type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", id: "a", outputs: { sendAt: "2026-01-01T00:00:00Z" } },
        { type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", id: "b", outputs: { sendAt: 1767225600 } },
        { type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", id: "c", outputs: {} },
        { type: "pulumi:pulumi:Stack", id: "d", outputs: { sendAt: 1 } },
        // Two resources naming one batch: both times are kept; a value that cannot be read stays as such.
        { type: "sendgrid-batch:index:ScheduledBatch", id: "b", outputs: { sendAt: 1767229200 } },
        { type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch", id: "e", outputs: { sendAt: "2026-02-30T00:00:00Z" } },
      ],
    },
  };
  expect([...sendTimesFromState(doc)]).toEqual([
    ["a", [{ seconds: 1767225600 }]],
    ["b", [{ seconds: 1767225600 }, { seconds: 1767229200 }]],
    ["e", [{ unreadable: '"2026-02-30T00:00:00Z"' }]],
  ]);
});

test("clear-cancelled frees only the safe slots, after confirmation", async () => {
  const past = await createBatch(client, "cancelled");
  const future = await createBatch(client, "cancelled");
  const paused = await createBatch(client, "paused");
  const state = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgb-")), "stack.json");
  fs.writeFileSync(
    state,
    JSON.stringify({
      deployment: {
        resources: [past, future, paused].map((b, i) => ({
          type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch",
          id: b.batchId,
          outputs: { sendAt: i === 1 ? NOW + 7200 : NOW - 7200 },
        })),
      },
    }),
  );

  const refused = await run(["clear-cancelled", "--state", state], false);
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(/not confirmed/);
  expect((await sg.admin.batches()).filter((b) => b.status !== "active")).toHaveLength(3);

  const done = await run(["clear-cancelled", "--state", state], true);
  expect(done.code).toBe(0);
  expect(done.out).toContain(`cleared ${past.batchId}`);
  expect(done.out).toMatch(/3 of 10 slots used/);
  expect(done.out).toMatch(/freed 1 slot/);
  const held = new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  expect(held.get(past.batchId)).toBe("active"); // its status entry is gone: the slot is free
  expect(held.get(future.batchId)).toBe("cancelled");
  expect(held.get(paused.batchId)).toBe("paused");
  const deletes = (await sg.admin.requests()).filter((r) => r.method === "DELETE");
  expect(deletes.map((r) => r.path)).toEqual([`/v3/user/scheduled_sends/${past.batchId}`]);
});

test("the confirmation prompt says that mail scheduled later than the send time shown would be sent", async () => {
  const b = await createBatch(client, "cancelled");
  const questions: string[] = [];
  const code = await main(["clear-cancelled", "--sent", `${b.batchId}=${NOW - 7200}`, "--api-url", sg.url], {
    out: () => undefined,
    err: () => undefined,
    confirm: async (q) => {
      questions.push(q);
      return false;
    },
  });
  expect(code).toBe(1);
  expect(questions).toEqual([
    "Clear the status of 1 cancelled batch(es)? Any of their mail scheduled later than the send time shown would be sent. [y/N] ",
  ]);
  expect((await sg.admin.batches()).find((x) => x.batch_id === b.batchId)?.status).toBe("cancelled");
});

test("without a known send time nothing is cleared, and --sent supplies one", async () => {
  const b = await createBatch(client, "cancelled");
  expect((await run(["clear-cancelled", "--yes"])).out).toMatch(/send time unknown[\s\S]*nothing to clear/);
  const res = await run(["clear-cancelled", "--yes", "--sent", `${b.batchId}=${NOW - 3600}`]);
  expect(res.out).toContain(`cleared ${b.batchId}`);
});

test("bad arguments and a missing key fail with a clear message and no request", async () => {
  expect((await run(["clear-cancelled", "--sent", "nonsense"])).err).toMatch(/expected ID=TIME/);
  expect((await run(["list", "--region", "mars"])).err).toMatch(/--region must be "global" or "eu"/);
  const saved = process.env.SENDGRID_API_KEY;
  delete process.env.SENDGRID_API_KEY;
  try {
    expect((await run(["list"])).err).toMatch(/no SendGrid API key/);
  } finally {
    process.env.SENDGRID_API_KEY = saved;
  }
  expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
});

test("the built bin lists entries", async () => {
  await createBatch(client, "paused");
  const bin = path.resolve(__dirname, "..", "dist", "cli", "sendgrid-batches.js");
  const { stdout } = await promisify(execFile)(process.execPath, [bin, "list", "--api-url", sg.url], {
    env: { ...process.env, SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
  expect(stdout).toMatch(/paused\s+-\s+no\s+paused: clearing would send its mail/);
  expect(stdout).toMatch(/1 of 10 slots used/);
});
