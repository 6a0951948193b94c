// `npm start`: the project's main job. Starts the SendGrid emulator on loopback, runs the root
// Pulumi.yaml program (examples/basic) through the real Pulumi CLI with a throwaway local backend:
// preview → up → pause → resume → destroy, and prints what SendGrid holds after each step.

import { DEFAULT_EMULATOR_API_KEY, EmulatorAdmin, startEmulator } from "../emulator";
import { REPO_ROOT, ensurePulumiCli, localStack } from "./lib/engine";

async function main(): Promise<void> {
  const emulator = await startEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  const say = (s: string) => console.log(s);
  say(`SendGrid emulator listening on ${emulator.url}`);
  say(`Pulumi CLI: ${ensurePulumiCli({ yaml: false })}`);

  const { stack, dispose } = await localStack({
    workDir: REPO_ROOT,
    stackName: `demo-${process.pid}`,
    config: { apiUrl: emulator.url, status: "active" },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });

  let batchId = "";
  const sendgridNow = async (): Promise<string> => {
    const log = (await admin.requests()).filter((r) => r.path.startsWith("/v3/"));
    await admin.clearRequests();
    const calls = log.map((r) => `${r.method} ${r.path.replace(batchId || "\u0000", "{id}")} → ${r.status}`);
    const batch = (await admin.batches()).find((b) => b.batch_id === batchId);
    const mail = (await admin.messages()).filter((m) => m.batch_id === batchId).map((m) => m.fate);
    return [
      `  SendGrid requests: ${calls.length}${calls.length ? ` (${calls.join(", ")})` : ""}`,
      `  SendGrid holds:    ${batch ? `batch ${batch.batch_id} ${batch.status}` : "no batch"}${mail.length ? `, mail: ${mail.join(", ")}` : ""}`,
    ].join("\n");
  };

  try {
    say("\n1. pulumi preview (a new stack)");
    const preview = await stack.preview();
    say(`  plan: ${JSON.stringify(preview.changeSummary)}`);
    say(await sendgridNow());

    say("\n2. pulumi up (status: active)");
    const up = await stack.up();
    batchId = String(up.outputs.batchId.value);
    say(`  batchId = ${batchId}, status = ${up.outputs.status.value}`);
    // Schedule one message in the batch an hour from now, as an application would with Mail Send.
    await admin.seedMessage({
      batch_id: batchId,
      send_at: Math.floor(Date.now() / 1000) + 3600,
      to: ["reader@example.com"],
      subject: "Newsletter",
    });
    say(await sendgridNow());

    for (const [n, status, verb] of [
      [3, "paused", "pause"],
      [4, "active", "resume"],
    ] as const) {
      say(`\n${n}. ${verb}: pulumi config set status ${status}; pulumi up`);
      await stack.setConfig("status", { value: status });
      const res = await stack.up();
      say(`  status = ${res.outputs.status.value} (${JSON.stringify(res.summary.resourceChanges)})`);
      say(await sendgridNow());
    }

    say("\n5. pulumi destroy (deleting a batch cancels it; its mail is discarded at send_at)");
    await stack.destroy();
    say(await sendgridNow());
    const clock = await admin.advanceClock(2 * 3600);
    say(`  two hours later (emulator clock ${new Date(clock * 1000).toISOString()}):`);
    say(await sendgridNow());
    say("\nDone: the stack was created, paused, resumed and destroyed against the emulator.");
  } finally {
    await dispose();
    await emulator.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
