// The plugin's typed classes (`pulumi-sendgrid-scheduled-batch/plugin`) in a TypeScript program,
// through the real engine: an explicit Provider (one account) and a ScheduledBatch under it. The
// engine finds the plugin executable on PATH (the package's bin/, as node_modules/.bin is).
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { Provider, ScheduledBatch, type ScheduledBatchArgs } from "../plugin";
import type { ScheduledBatchArgs as DynamicArgs } from "../provider";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { backendText } from "./support/pluginProject";
import { REPO_ROOT, ensurePulumiCli, localStack } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator();

// The same status/sendAt/batchId types as the dynamic resource, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<ScheduledBatchArgs["status"], DynamicArgs["status"]>,
  Same<ScheduledBatchArgs["sendAt"], DynamicArgs["sendAt"]>,
  Same<ScheduledBatchArgs["batchId"], DynamicArgs["batchId"]>,
] = [true, true, true];

test("the plugin resource has the dynamic resource's input types", () => {
  expect(sameTypes).toEqual([true, true, true]);
});

test("an explicit Provider and a ScheduledBatch from TypeScript: up, a status change, destroy", async () => {
  await sg.admin.reset();
  let status = "paused" as ScheduledBatchArgs["status"];
  const s = await localStack({
    projectName: "plugin-typescript",
    program: async () => {
      const account = new Provider("account", { apiUrl: sg.url, apiKey: DEFAULT_EMULATOR_API_KEY });
      const batch = new ScheduledBatch("newsletter", { status }, { provider: account });
      return { batchId: batch.batchId, status: batch.status, adopted: batch.adopted };
    },
    env: { PATH: [ensurePulumiCli(), path.join(REPO_ROOT, "bin"), process.env.PATH ?? ""].join(path.delimiter) },
  });
  try {
    const up = await s.stack.up();
    expect([up.outputs.status.value, up.outputs.adopted.value]).toEqual(["paused", false]);
    const batchId = String(up.outputs.batchId.value);
    expect(await takeSendGridCalls(sg.admin)).toEqual(["POST /v3/mail/batch", "POST /v3/user/scheduled_sends"]);

    status = "active";
    expect((await s.stack.up()).outputs.status.value).toBe("active");
    expect(await takeSendGridCalls(sg.admin)).toEqual(["DELETE /v3/user/scheduled_sends/{batch_id}"]);

    // The key given to the Provider is stored only as ciphertext.
    expect(backendText(s)).not.toContain(DEFAULT_EMULATOR_API_KEY);

    await s.stack.destroy();
    expect(await takeSendGridCalls(sg.admin)).toEqual(["POST /v3/user/scheduled_sends"]);
    expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "cancelled"]]);
  } finally {
    await s.dispose();
  }
});
