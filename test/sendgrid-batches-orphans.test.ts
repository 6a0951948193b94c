// `sendgrid-batches orphans` through the built bin against the emulator: it lists the paused or
// cancelled batches no given stack export records, frees only those, and only when told to.
// (The whole story, with a real `pulumi up` killed mid-run, is test/engine-interrupted-up.)

import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { SendGridBatchClient, createBatch } from "../core";
import { runBatchesBin, stackExport, tempFile } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";

const sg = useEmulator();
let client: SendGridBatchClient;
beforeAll(() => {
  client = new SendGridBatchClient({ apiKey: DEFAULT_EMULATOR_API_KEY, apiUrl: sg.url });
});
beforeEach(() => sg.admin.reset());

const held = async () => new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
const deletes = async () => (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());

async function account() {
  const recordedA = await createBatch(client, "paused");
  const recordedB = await createBatch(client, "cancelled");
  const adopted = await createBatch(client, "paused"); // named only as an adopted batchId input
  const kept = await createBatch(client, "paused"); // e.g. a CloudFormation stack's batch
  const orphanPaused = await createBatch(client, "paused");
  const orphanCancelled = await createBatch(client, "cancelled");
  const stackA = stackExport([{ id: recordedA.batchId }]);
  const stackB = stackExport([{ id: recordedB.batchId, status: "cancelled" }]);
  (stackB.deployment.resources as Record<string, unknown>[]).push({
    urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::adopted",
    type: "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch",
    id: "not-the-batch-id",
    inputs: { batchId: adopted.batchId },
  });
  await sg.admin.clearRequests();
  return {
    ids: { recordedA, recordedB, adopted, kept, orphanPaused, orphanCancelled },
    files: [tempFile("a.json", stackA), tempFile("b.json", stackB)],
  };
}

test("lists the orphans, says every stack must be passed, and changes nothing without --clear", async () => {
  const { ids, files } = await account();
  const r = await runBatchesBin(["orphans", "--api-url", sg.url, "--state", files[0]!, "--state", files[1]!, "--keep", ids.kept.batchId]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("6 of 10 slots used: 4 recorded in the given stacks or kept, 2 orphan(s)");
  expect(r.stdout).toContain(`orphan  ${ids.orphanPaused.batchId}  paused`);
  expect(r.stdout).toContain(`orphan  ${ids.orphanCancelled.batchId}  cancelled`);
  expect(r.stdout).toMatch(/Every stack that uses this SendGrid account must be given with --state/);
  for (const id of [ids.recordedA, ids.recordedB, ids.adopted, ids.kept]) expect(r.stdout).not.toContain(id.batchId);
  expect(await deletes()).toEqual([]);
});

test("--clear frees only the orphans, after --yes; recorded, adopted and kept batches are untouched", async () => {
  const { ids, files } = await account();
  const args = ["orphans", "--api-url", sg.url, "--state", files[0]!, "--state", files[1]!, "--keep", ids.kept.batchId, "--clear"];

  const unconfirmed = await runBatchesBin(args); // stdin is not a terminal: nobody to confirm
  expect(unconfirmed.code).toBe(1);
  expect(unconfirmed.stderr).toMatch(/not confirmed: nothing cleared \(use --yes in scripts\)/);
  expect(await deletes()).toEqual([]);

  const r = await runBatchesBin([...args, "--yes"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`cleared ${ids.orphanPaused.batchId} (was paused)`);
  expect(r.stdout).toContain(`cleared ${ids.orphanCancelled.batchId} (was cancelled)`);
  expect(r.stdout).toContain("freed 2 slot(s); 4 of 10 slots used");
  expect((await deletes()).sort()).toEqual([ids.orphanPaused.batchId, ids.orphanCancelled.batchId].sort());
  const now = await held();
  expect(now.get(ids.recordedA.batchId)).toBe("paused");
  expect(now.get(ids.recordedB.batchId)).toBe("cancelled");
  expect(now.get(ids.adopted.batchId)).toBe("paused");
  expect(now.get(ids.kept.batchId)).toBe("paused");
  expect(now.get(ids.orphanPaused.batchId)).toBe("active"); // no status: the slot is free
});

test("--clear refuses while a given export holds pending operations (a run may still be creating)", async () => {
  const orphan = await createBatch(client, "paused");
  const file = tempFile(
    "stack.json",
    stackExport([], [{ type: "creating", urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::b7" }]),
  );
  await sg.admin.clearRequests();
  const listed = await runBatchesBin(["orphans", "--api-url", sg.url, "--state", file]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(`orphan  ${orphan.batchId}  paused`);
  expect(listed.stdout).toMatch(/pending {2}creating {2}urn:pulumi:dev::p::pulumi-nodejs:dynamic\/sendgrid:ScheduledBatch::b7/);

  const r = await runBatchesBin(["orphans", "--api-url", sg.url, "--state", file, "--clear", "--yes"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/not clearing while a given stack has pending operations.*pulumi refresh --clear-pending-creates/);
  expect(await deletes()).toEqual([]);
  expect((await held()).get(orphan.batchId)).toBe("paused");
});

test("no orphans: nothing to clear, no request but the list", async () => {
  const b = await createBatch(client, "paused");
  await sg.admin.clearRequests();
  const r = await runBatchesBin([
    "orphans",
    "--api-url",
    sg.url,
    "--state",
    tempFile("s.json", stackExport([{ id: b.batchId }])),
    "--clear",
    "--yes",
  ]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/0 orphan\(s\)[\s\S]*nothing to clear/);
  expect((await sg.admin.requests()).map((x) => `${x.method} ${x.route}`)).toEqual(["GET /v3/user/scheduled_sends"]);
});
