// `pulumi import` of an id the journal shows handed to another resource is refused (BATCH_HELD), as an
// adoption with `batchId` is: a second holder's status would release the first one's held mail (the
// third adversarial review's reproduction: the import went through, the next `up` resumed the batch
// through the importer, and the holder's held mail was delivered). Only an id the user says its holder
// let go of (SENDGRID_BATCH_RELEASED) is imported. Through the plugin from Pulumi YAML and the real engine.
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { call, mail } from "./support/emulatorCalls";
import { PLUGIN_TYPE, pluginProject, type PluginProject, type YamlProgram } from "./support/pluginProject";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;

const projects: PluginProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.dispose();
});

async function project(name: string, program: YamlProgram): Promise<PluginProject> {
  const p = await pluginProject(name, program, {
    config: { "sendgrid-batch:apiUrl": sg.url },
    env: { SENDGRID_API_KEY: KEY, SENDGRID_BATCH_JOURNAL: path.join(os.tmpdir(), `adv3-import-${Date.now()}.jsonl`) },
  });
  projects.push(p);
  return p;
}

/** `reports`, importing `id` with `status`. */
const importing = (id: string, status: string) =>
  `resources:\n  reports:\n    type: ${PLUGIN_TYPE}\n    properties:\n      status: ${status}\n    options:\n      import: ${id}\n`;

test("`pulumi import` of the batch another resource of the stack holds paused is refused (BATCH_HELD), and the holder's held mail stays held", async () => {
  const p = await project("adv3-import-held", { batches: { orders: { status: "paused" } } });
  const x = String((await p.s.stack.up()).outputs.orders.value);
  const sent = await call(sg.emulator, "POST", "/v3/mail/send", {
    body: mail({ batch_id: x, send_at: (await sg.admin.now()) + 7200, subject: "held on orders" }),
  });
  expect(sent.status).toBe(202);

  // A second resource imports orders' id (a pasted id, as with batchId), as it is: paused.
  p.write({ batches: { orders: { status: "paused" } }, extraResources: importing(x, "paused") });
  const imported = await p.s.stack.up().then(
    () => "imported",
    (err: Error) => `refused: ${err.message}`,
  );
  // Then it asks for active, as its own program wants.
  let resumed = "not run";
  if (imported === "imported") {
    p.write({ batches: { orders: { status: "paused" } }, extraResources: importing(x, "active") });
    resumed = await p.s.stack.up().then(
      () => "active",
      (err: Error) => `failed: ${err.message.slice(0, 200)}`,
    );
  }

  const state = (await p.s.stack.exportStack()).deployment.resources as { urn: string; id?: string; outputs?: { status?: string } }[];
  const orders = state.find((r) => r.urn.endsWith("::orders"));
  await sg.admin.advanceClock(3 * 3600);
  expect({
    bothSucceeded: imported === "imported" && resumed === "active",
    refusedAsHeld: /BATCH_HELD|is held by .*::orders/.test(imported),
    orders: [orders?.id, orders?.outputs?.status],
    sendGrid: (await sg.admin.batches()).find((b) => b.batch_id === x)?.status ?? "active",
    fates: (await sg.admin.messages()).map((m) => m.fate),
  }).toEqual({
    bothSucceeded: false,
    refusedAsHeld: true,
    orders: [x, "paused"],
    sendGrid: "paused",
    fates: ["scheduled"],
  });
});
