// Moving a stack from the dynamic ScheduledBatch to the provider plugin's, through the real engine,
// as docs/migrate-to-plugin.md tells a user to: retainOnDelete on the dynamic resources (one `up`),
// then the plugin's typed resource with the `import` option set to each batch id (one `up`). Three
// batches (active, paused, cancelled), each with mail scheduled on it: no replace, no SendGrid
// write in either run, the same batch ids, and each message's fate at its send time unchanged. And
// the move people try first, an alias from the dynamic type, is refused before any SendGrid call.
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace, OpType } from "@pulumi/pulumi/automation";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch as PluginBatch } from "../plugin";
import { ScheduledBatch as DynamicBatch, type BatchStatus } from "../provider";
import { TYPE_TOKENS } from "../core";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { REPO_ROOT, ensurePulumiCli, localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator();
const STATUSES: readonly BatchStatus[] = ["active", "paused", "cancelled"];
const HOUR = 3600;

/** The program's stages, in the order the doc gives them. */
type Stage = "dynamic" | "retained" | "imported" | "plugin" | "aliased";

interface Step {
  op: OpType;
  type: string;
  name: string;
  retained: boolean;
}

function stepCollector(): { steps: Step[]; onEvent: (e: EngineEvent) => void } {
  const steps: Step[] = [];
  return {
    steps,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (m === undefined || !m.type.includes("ScheduledBatch")) return;
      steps.push({ op: m.op, type: m.type, name: m.urn.split("::").pop() ?? "", retained: m.old?.retainOnDelete === true });
    },
  };
}

/** The SendGrid requests logged since the last call, sorted, and those that write; clears the log. */
async function takeSendGridCalls(): Promise<{ calls: string[]; writes: string[] }> {
  const log = (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"));
  await sg.admin.clearRequests();
  return {
    calls: log.map((r) => `${r.method} ${r.route}`).sort(),
    writes: log.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.route}`),
  };
}

/** What importing the three batches reads: each one's status, and for the active one (no status) its id. */
const IMPORT_READS = [
  "GET /v3/mail/batch/{batch_id}",
  "GET /v3/user/scheduled_sends/{batch_id}",
  "GET /v3/user/scheduled_sends/{batch_id}",
  "GET /v3/user/scheduled_sends/{batch_id}",
];

/** What SendGrid holds: batch id → status. */
async function heldStatuses(): Promise<Record<string, string>> {
  return Object.fromEntries((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
}

/** `ids` (status → batch id) turned round: batch id → status. */
const byId = (ids: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(ids).map(([status, id]) => [id, status]));

/** A stack whose program declares the three batches as `stage()` says; ids are the batches' to import. */
async function migratingStack(name: string, stage: () => Stage, ids: () => Record<string, string>, sendAt: number): Promise<LocalStack> {
  return localStack({
    projectName: name,
    program: async () => {
      const out: Record<string, pulumi.Output<string>> = {};
      for (const status of STATUSES) {
        const s = stage();
        if (s === "dynamic" || s === "retained") {
          // The dynamic resource: the account is a resource input.
          out[status] = new DynamicBatch(status, { status, sendAt, apiUrl: sg.url }, { retainOnDelete: s === "retained" }).batchId;
        } else if (s === "aliased") {
          out[status] = new PluginBatch(status, { status, sendAt }, { aliases: [{ type: TYPE_TOKENS.dynamic }] }).batchId;
        } else {
          // The plugin's resource: the account is the default provider's (sendgrid-batch:apiUrl below).
          out[status] = new PluginBatch(status, { status, sendAt }, s === "imported" ? { import: ids()[status] } : {}).batchId;
        }
      }
      return out;
    },
    config: { "sendgrid-batch:apiUrl": sg.url },
    // The key of both: SENDGRID_API_KEY (the dynamic provider's process and the plugin's read it).
    env: {
      SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY,
      PATH: [ensurePulumiCli(), path.join(REPO_ROOT, "bin"), process.env.PATH ?? ""].join(path.delimiter),
    },
  });
}

/** Three dynamic batches, one per status, each with one message scheduled for `sendAt`. */
async function dynamicBatchesWithMail(s: LocalStack, sendAt: number): Promise<Record<string, string>> {
  const up = await s.stack.up();
  const ids = Object.fromEntries(STATUSES.map((status) => [status, String(up.outputs[status].value)]));
  for (const status of STATUSES) {
    const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
      body: mail({ batch_id: ids[status], send_at: sendAt, subject: status }),
    });
    expect(sent.status).toBe(202);
  }
  expect(await heldStatuses()).toEqual(byId(ids));
  await sg.admin.clearRequests();
  return ids;
}

test("three dynamic batches with scheduled mail move to the plugin: no replace, no SendGrid write, the same ids, the same fates", async () => {
  await sg.admin.reset();
  const sendAt = Math.floor(Date.now() / 1000) + HOUR;
  let stage: Stage = "dynamic";
  let ids: Record<string, string> = {};
  const s = await migratingStack(
    "migrate-to-plugin",
    () => stage,
    () => ids,
    sendAt,
  );
  try {
    ids = await dynamicBatchesWithMail(s, sendAt);

    // 1. retainOnDelete on the dynamic resources: recorded in state, nothing else changes.
    stage = "retained";
    const retained = stepCollector();
    await s.stack.up({ onEvent: retained.onEvent });
    expect(retained.steps.map((st) => st.op)).toEqual(["same", "same", "same"]);
    expect(await takeSendGridCalls()).toEqual({ calls: [], writes: [] });

    // 2. The plugin's resources import the same ids. The journal shows each handed to its dynamic
    // resource, which lets go of it in this very run (retained): the user says so, or the import is
    // refused (BATCH_HELD). Preview says so first, with no write.
    (s.stack.workspace as LocalWorkspace).envVars.SENDGRID_BATCH_RELEASED = Object.values(ids).join(",");
    stage = "imported";
    const previewed = stepCollector();
    const preview = await s.stack.preview({ onEvent: previewed.onEvent });
    // What the doc tells the user to look for in the preview's text.
    for (const n of STATUSES) {
      expect(preview.stdout).toContain(`=  ${TYPE_TOKENS.plugin} ${n} import`);
      expect(preview.stdout).toContain(`~  ${TYPE_TOKENS.plugin} ${n} update [diff: +sendAt]`);
      expect(preview.stdout).toContain(`-  ${TYPE_TOKENS.dynamic} ${n} delete[retain]`);
    }
    expect(preview.changeSummary).toEqual({ import: 3, update: 3, delete: 3, same: 1 });
    expect(previewed.steps.filter((st) => st.op === "delete").every((st) => st.retained)).toBe(true);
    expect(await takeSendGridCalls()).toEqual({ calls: IMPORT_READS, writes: [] });

    const moved = stepCollector();
    const up = await s.stack.up({ onEvent: moved.onEvent });
    const ops = moved.steps.map((st) => `${st.op} ${st.type} ${st.name}${st.retained ? " [retain]" : ""}`).sort();
    expect(ops).toEqual(
      [
        ...STATUSES.map((n) => `import ${TYPE_TOKENS.plugin} ${n}`),
        // The import reads no sendAt (SendGrid keeps none per batch): the program's is recorded, with no call.
        ...STATUSES.map((n) => `update ${TYPE_TOKENS.plugin} ${n}`),
        ...STATUSES.map((n) => `delete ${TYPE_TOKENS.dynamic} ${n} [retain]`),
      ].sort(),
    );
    expect(up.summary.resourceChanges).toMatchObject({ import: 3, update: 3, delete: 3 });
    expect(up.summary.resourceChanges?.replace).toBeUndefined();
    expect(up.summary.resourceChanges?.create).toBeUndefined();
    expect(await takeSendGridCalls()).toEqual({ calls: IMPORT_READS, writes: [] });
    expect(Object.fromEntries(STATUSES.map((status) => [status, up.outputs[status].value]))).toEqual(ids);

    // 3. The `import` options can go: the stack has converged (no change, no request).
    stage = "plugin";
    const steady = await s.stack.preview();
    expect(steady.changeSummary).toEqual({ same: 4 });
    const state = await s.stack.exportStack();
    const batches = (state.deployment.resources as { type: string; id?: string; urn: string }[]).filter((r) =>
      r.type.includes("ScheduledBatch"),
    );
    expect(batches.map((r) => [r.type, r.id]).sort()).toEqual(STATUSES.map((status) => [TYPE_TOKENS.plugin, ids[status]]).sort());
    expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);

    // SendGrid holds what it held, and at the send time each message meets the fate it had before.
    expect(await heldStatuses()).toEqual(byId(ids));
    await sg.admin.advanceClock(2 * HOUR);
    const fates = Object.fromEntries((await sg.admin.messages()).map((m) => [m.batch_id, m.fate]));
    expect(fates).toEqual({ [ids.active]: "delivered", [ids.paused]: "scheduled", [ids.cancelled]: "discarded" });
  } finally {
    await s.dispose();
  }
});

test("an alias from the dynamic type is refused at preview and at up, before any SendGrid call: no batch is replaced", async () => {
  await sg.admin.reset();
  const sendAt = Math.floor(Date.now() / 1000) + HOUR;
  let stage: Stage = "dynamic";
  const s = await migratingStack(
    "migrate-by-alias",
    () => stage,
    () => ({}),
    sendAt,
  );
  try {
    const ids = await dynamicBatchesWithMail(s, sendAt);
    stage = "aliased";
    for (const run of [() => s.stack.preview(), () => s.stack.up()]) {
      const refused = await run().then(
        () => "accepted",
        (err: unknown) => String(err),
      );
      expect(refused).toContain("an alias cannot move it to the plugin safely");
      expect(refused).toContain("docs/migrate-to-plugin.md");
    }
    expect((await takeSendGridCalls()).writes).toEqual([]);
    // The stack still holds the dynamic resources, and SendGrid the batches as they were.
    const state = await s.stack.exportStack();
    const types = (state.deployment.resources as { type: string; id?: string }[]).filter((r) => r.type.includes("ScheduledBatch"));
    expect(types.map((r) => [r.type, r.id]).sort()).toEqual(STATUSES.map((status) => [TYPE_TOKENS.dynamic, ids[status]]).sort());
    expect(await heldStatuses()).toEqual(byId(ids));
  } finally {
    await s.dispose();
  }
});
