// Adopting (batchId) an id the journal shows handed to another resource is BATCH_HELD
// (core/journal.ts heldElsewhere, core/lifecycle.ts provision), for the dynamic resource too,
// through the real engine. The dynamic provider is not told its resource, and its `handed` lines
// named none, so a second dynamic resource of the same stack, with the same journal, adopted the
// first one's batch and resumed it while the first still declared it `paused`: its held mail was
// delivered (second adversarial review). The ScheduledBatch class now passes its URN as a hidden
// input (`__resource`) that the journal's lines carry and the diff ignores; a stack made before it
// upgrades with no change.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { readJournal } from "./support/journalLines";

jest.setTimeout(600_000);

const sg = useEmulator();
const stacks: LocalStack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.dispose();
});

interface ExportedResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

test("a dynamic resource adopting, as active, the batch another dynamic resource of the stack holds paused is refused (BATCH_HELD, in the dynamic adapter's words); the held mail stays held", async () => {
  await sg.admin.reset();
  let adoptId: string | undefined;
  const s = await localStack({
    projectName: "dynamic-adopt-held",
    program: async () => {
      const orders = new ScheduledBatch("orders", { status: "paused" as BatchStatus, apiUrl: sg.url });
      const out: Record<string, unknown> = { orders: orders.batchId };
      if (adoptId)
        out.reports = new ScheduledBatch("reports", { batchId: adoptId, status: "active" as BatchStatus, apiUrl: sg.url }).batchId;
      return out;
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  const x = String((await s.stack.up()).outputs.orders.value);
  const ordersUrn = ((await s.stack.exportStack()).deployment.resources as ExportedResource[]).find((r) => r.urn.endsWith("::orders"))?.urn;
  // The journal shows x handed, to the resource's URN.
  const journal = path.join(s.backendDir, "journal.jsonl");
  expect(fs.existsSync(journal) && readJournal(journal).filter((e) => e.event === "handed" && e.batchId === x)).toEqual([
    expect.objectContaining({ resource: ordersUrn }),
  ]);
  const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: x, send_at: (await sg.admin.now()) + 7200, subject: "held on orders" }),
  });
  expect(sent.status).toBe(202);

  // The id pasted into a second resource of the same stack (same journal), as active.
  adoptId = x;
  const error = await s.stack.up().then(
    () => "",
    (err: unknown) => String(err),
  );
  expect(error).toContain(`batch ${x} is held by ${ordersUrn} (the batch journal ${journal} shows it handed there); not adopted`);
  expect(error).toContain("rename the resource that holds it (the `aliases` resource option keeps its batch)");
  expect(error).not.toContain("pulumi import");
  const resources = (await s.stack.exportStack()).deployment.resources as ExportedResource[];
  const ordersStatus = resources.find((r) => r.urn.endsWith("::orders"))?.outputs?.status;
  await sg.admin.advanceClock(3 * 3600);
  expect({
    refused: error !== "",
    ordersStatus,
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: Object.fromEntries((await sg.admin.messages()).map((m) => [m.subject, m.fate])),
  }).toEqual({ refused: true, ordersStatus: "paused", sendGrid: "paused", fates: { "held on orders": "scheduled" } });
});

test("a stack made before the hidden input upgrades with no change: its preview shows nothing to do, its outputs stay without it", async () => {
  await sg.admin.reset();
  const s = await localStack({
    projectName: "dynamic-identity-upgrade",
    program: async () => {
      const orders = new ScheduledBatch("orders", { status: "paused" as BatchStatus, apiUrl: sg.url });
      // Under a component: the hidden input is the child's URN (parent type prefixed), and a sibling
      // that uses the first child's output does not wait for itself.
      const shop = new pulumi.ComponentResource("example:index:Shop", "shop");
      const first = new ScheduledBatch("first", { status: "paused" as BatchStatus, apiUrl: sg.url }, { parent: shop });
      new ScheduledBatch("second", { status: first.status, apiUrl: sg.url }, { parent: shop });
      return { orders: orders.batchId };
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  stacks.push(s);
  const x = String((await s.stack.up()).outputs.orders.value);
  // What an earlier version recorded: the same resource without the hidden input.
  const state = await s.stack.exportStack();
  const batches = (state.deployment.resources as ExportedResource[]).filter((r) => r.type.endsWith(":ScheduledBatch"));
  expect(batches.map((r) => r.urn.split("::").slice(2).join("::")).sort()).toEqual([
    "example:index:Shop$pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::first",
    "example:index:Shop$pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::second",
    "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch::orders",
  ]);
  for (const r of batches) {
    expect(r.inputs?.__resource).toBe(r.urn);
    expect(r.outputs ?? {}).not.toHaveProperty("__resource");
    delete r.inputs?.__resource;
  }
  await s.stack.importStack(state);

  await sg.admin.clearRequests();
  const preview = await s.stack.preview();
  expect(preview.changeSummary).toEqual({ same: 5 });
  const up = await s.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 5 });
  expect(String(up.outputs.orders.value)).toBe(x);
  // Preview and the update sent nothing to SendGrid: nothing changed.
  expect((await sg.admin.requests()).filter((r) => r.method !== "GET")).toEqual([]);
});
