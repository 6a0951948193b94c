// A replacement keeps an adopted batch's id (the same `batchId`, and the same resource: BATCH_HELD
// lets a resource adopt what its own URN holds), and the engine then deletes the old resource.
// `pulumi up --replace URN` (create-before-delete, the engine's default) of a resource that adopted
// a paused batch with the application's mail on it: the old resource's Delete finds the
// replacement's later `handed` line in the journal (after the line its own state marks) and leaves
// the batch to it: the stack declares it paused, SendGrid holds it paused, the mail is still held.
// Through the plugin from Pulumi YAML and the real engine, and the same with the dynamic resource.
// From the third adversarial review (adversarial3-replace-adopted), which failed before the fix.
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { pluginProject, type PluginProject } from "./support/pluginProject";
import { cliProject } from "./support/pulumiCli";
import * as fs from "node:fs";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;

let p: PluginProject | undefined;
afterEach(async () => {
  await p?.dispose();
  p = undefined;
});

test("`pulumi up --replace` of a resource that adopted a paused batch: the old resource's delete leaves the batch to the replacement (a `passed` line), the held mail stays held; a refresh before it does not count as another holder, and a destroy after it still cancels", async () => {
  // The application's batch, with its mail, adopted by the stack as paused.
  const minted = await call(sg.emulator, "POST", "/v3/mail/batch");
  const x = String((minted.json as { batch_id: string }).batch_id);
  const journal = path.join(os.tmpdir(), `replace-adopted-${Date.now()}.jsonl`);
  p = await pluginProject(
    "replace-adopted",
    { batches: { orders: { status: "paused", batchId: x } } },
    {
      config: { "sendgrid-batch:apiUrl": sg.url },
      env: { SENDGRID_API_KEY: KEY, SENDGRID_BATCH_JOURNAL: journal },
    },
  );
  expect(String((await p.s.stack.up()).outputs.orders.value)).toBe(x);
  const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: x, send_at: (await sg.admin.now()) + 7200, subject: "held on orders" }),
  });
  expect(sent.status).toBe(202);
  // A refresh reads the batch (a `read`, no new holder): it must not make the resource's own later
  // Delete look like another resource holds the batch.
  await p.s.stack.refresh();

  const resources = () =>
    p!.s.stack
      .exportStack()
      .then((e) => e.deployment.resources as { urn: string; type: string; id?: string; outputs?: { status?: string } }[]);
  const urn = (await resources()).find((r) => r.urn.endsWith("::orders"))!.urn;
  const replaced = await p.s.stack.up({ replace: [urn] }).then(
    () => "succeeded",
    (err: Error) => `failed: ${err.message.slice(0, 300)}`,
  );
  const orders = (await resources()).find((r) => r.urn.endsWith("::orders"));
  const lines = fs
    .readFileSync(journal, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { event: string; batchId: string; via?: string });

  await sg.admin.advanceClock(3 * 3600);
  expect({
    replaced,
    orders: [orders?.id, orders?.outputs?.status],
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: (await sg.admin.messages()).filter((m) => m.batch_id === x).map((m) => m.fate),
    journal: lines.filter((l) => l.batchId === x).map((l) => (l.via ? `${l.event} (${l.via})` : l.event)),
  }).toEqual({
    replaced: "succeeded",
    orders: [x, "paused"],
    sendGrid: "paused",
    fates: ["scheduled"],
    journal: ["handed (adopt)", "handed (adopt)", "passed"],
  });

  // The replacement is the holder: its own delete (no hand-over after its line) cancels.
  await p.s.stack.destroy();
  expect({
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: (await sg.admin.messages()).filter((m) => m.batch_id === x).map((m) => m.fate),
  }).toEqual({ sendGrid: "cancelled", fates: ["discarded"] });
});

test("the same with the dynamic resource: `pulumi up --replace` of a ScheduledBatch that adopted a paused batch leaves it paused under the replacement, and the held mail stays held", async () => {
  const minted = await call(sg.emulator, "POST", "/v3/mail/batch");
  const x = String((minted.json as { batch_id: string }).batch_id);
  const cli = await cliProject({ name: "replace-adopted-dynamic", config: { apiUrl: sg.url }, env: { SENDGRID_API_KEY: KEY } });
  try {
    fs.writeFileSync(
      path.join(cli.dir, "index.js"),
      `const pulumi = require("@pulumi/pulumi");
const { ScheduledBatch } = require("pulumi-sendgrid-scheduled-batch");
const config = new pulumi.Config();
const orders = new ScheduledBatch("orders", { status: "paused", batchId: ${JSON.stringify(x)}, apiUrl: config.require("apiUrl") });
exports.orders = orders.batchId;
`,
    );
    const first = await cli.pulumi(["up", "--yes", "--skip-preview"]);
    expect(first.code).toBe(0);
    const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
      body: mail({ batch_id: x, send_at: (await sg.admin.now()) + 7200, subject: "held on orders" }),
    });
    expect(sent.status).toBe(202);
    const urn = (await cli.exportState()).deployment.resources?.find((r) => r.urn.endsWith("::orders"))?.urn;
    expect(urn).toBeDefined();
    await cli.pulumi(["up", "--yes", "--skip-preview", "--replace", String(urn)]);
    const orders = (await cli.exportState()).deployment.resources?.find((r) => r.urn.endsWith("::orders"));

    await sg.admin.advanceClock(3 * 3600);
    expect({
      orders: [orders?.id, orders?.outputs?.status],
      sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
      fates: (await sg.admin.messages()).filter((m) => m.batch_id === x).map((m) => m.fate),
    }).toEqual({ orders: [x, "paused"], sendGrid: "paused", fates: ["scheduled"] });
  } finally {
    cli.dispose();
  }
});
