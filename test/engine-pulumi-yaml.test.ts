// The root Pulumi.yaml program (examples/basic) run by the Pulumi CLI and its Node.js language
// host, as a user runs it: `pulumi preview/up/destroy` in the project directory.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { REPO_ROOT, localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator();
let s: LocalStack;

beforeAll(async () => {
  s = await localStack({
    workDir: REPO_ROOT,
    stackName: `yaml-${process.pid}`,
    config: { apiUrl: sg.url, status: "paused" },
    env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
});
afterAll(async () => {
  await s.dispose();
});

test("preview, up and destroy of the root Pulumi.yaml program do what they say", async () => {
  const preview = await s.stack.preview();
  expect(preview.changeSummary).toEqual({ create: 2 });
  expect(await sg.admin.requests()).toEqual([]);

  const up = await s.stack.up();
  const batchId = String(up.outputs.batchId.value);
  expect(up.outputs.status.value).toBe("paused");
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "paused"]]);

  await s.stack.destroy();
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "cancelled"]]);
  expect((await sg.admin.requests()).map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
    "POST /v3/mail/batch 201",
    "POST /v3/user/scheduled_sends 201",
    "PATCH /v3/user/scheduled_sends/{batch_id} 204",
  ]);
});
