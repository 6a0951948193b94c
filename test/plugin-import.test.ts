// `pulumi import sendgrid-batch:index:ScheduledBatch <name> <batchId>` through the plugin and the
// real CLI: the batch is adopted and the CLI prints the code to paste; an `up` with that code
// changes nothing and writes nothing to SendGrid; destroy cancels the batch.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { outOfBandBatch } from "./support/emulatorCalls";
import { PLUGIN_TYPE, pluginProject, stepCollector, type PluginProject } from "./support/pluginProject";
import { ensurePulumiCli } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;
let p: PluginProject;

beforeAll(async () => {
  p = await pluginProject(
    "plugin-import",
    { batches: {} },
    { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY } },
  );
});
afterAll(async () => {
  await p?.dispose();
});

/** A batch made outside Pulumi, with `status` (SendGrid's spelling: pause/cancel) if given. */
const outOfBand = (status?: "pause") => outOfBandBatch(sg.emulator, sg.admin, status);

/** `pulumi import …` in the project directory, as a user types it; its stdout. */
async function pulumiImport(name: string, batchId: string): Promise<string> {
  const ws = p.s.stack.workspace;
  if (!(ws instanceof LocalWorkspace)) throw new Error("expected a LocalWorkspace");
  const args = ["import", PLUGIN_TYPE, name, batchId, "--yes", "--protect=false", "--non-interactive", "--stack", p.s.stack.name];
  const { stdout } = await promisify(execFile)(path.join(ensurePulumiCli(), "pulumi"), args, {
    cwd: p.dir,
    env: { ...process.env, ...ws.envVars },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

test("import an active and a paused batch, then up with the printed code: no change, no SendGrid write; destroy cancels", async () => {
  await sg.admin.reset();
  const active = await outOfBand();
  const paused = await outOfBand("pause");

  const printed: string[] = [];
  printed.push(await pulumiImport("imported-active", active));
  // `pulumi import` reads once in its preview and once to import. An active batch is read (no
  // status) and validated (it exists): 2 reads each time; a paused one 1 read. Never a write.
  const readActive = ["GET /v3/user/scheduled_sends/{batch_id}", "GET /v3/mail/batch/{batch_id}"];
  expect(await takeSendGridCalls(sg.admin)).toEqual([...readActive, ...readActive]);
  printed.push(await pulumiImport("imported-paused", paused));
  expect(await takeSendGridCalls(sg.admin)).toEqual(Array(2).fill("GET /v3/user/scheduled_sends/{batch_id}"));

  // The code to paste, in the project's language (YAML here).
  const code = printed.map((out) => out.slice(out.indexOf("resources:")));
  expect(code[0]).toMatch(
    new RegExp(
      `imported-active:\\n\\s+type: sendgrid-batch:ScheduledBatch\\n\\s+properties:\\n\\s+batchId: ${active}\\n\\s+status: active`,
    ),
  );
  expect(code[1]).toMatch(
    new RegExp(
      `imported-paused:\\n\\s+type: sendgrid-batch:ScheduledBatch\\n\\s+properties:\\n\\s+batchId: ${paused}\\n\\s+status: paused`,
    ),
  );

  p.write({ batches: {}, extraResources: code.map((c) => c.replace(/^resources:\n/, "")).join("") });
  const c = stepCollector();
  const preview = await p.s.stack.preview({ onEvent: c.onEvent });
  expect(c.steps.map((x) => [x.name, x.op])).toEqual(
    expect.arrayContaining([
      ["imported-active", "same"],
      ["imported-paused", "same"],
    ]),
  );
  expect(preview.changeSummary).toEqual({ same: 3 }); // the stack and the two batches
  const up = await p.s.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 3 });
  expect(await takeSendGridCalls(sg.admin)).toEqual([]);

  await p.s.stack.destroy();
  expect((await takeSendGridCalls(sg.admin)).sort()).toEqual([
    "PATCH /v3/user/scheduled_sends/{batch_id}",
    "POST /v3/user/scheduled_sends",
  ]);
  const statuses = Object.fromEntries((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
  expect([statuses[active], statuses[paused]]).toEqual(["cancelled", "cancelled"]);
});
