// `pulumi refresh` against a host that is not SendGrid (a proxy or another service answering 404)
// must fail and keep the batch in state. Before, a 404 read as "SendGrid no longer knows this id",
// refresh dropped the paused batch from state, and it became an orphan holding a quota slot.
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { useSendGridProxy } from "./support/sendgridProxy";

jest.setTimeout(240_000);

const sg = useEmulator();
const proxy = useSendGridProxy(sg);
let s: LocalStack | undefined;

afterAll(async () => {
  await s?.dispose();
});

async function recorded(stack: LocalStack): Promise<Array<{ id: string; status: unknown }>> {
  const exported = await stack.stack.exportStack();
  return exported.deployment.resources
    .filter((r: { type: string }) => r.type.endsWith(":ScheduledBatch"))
    .map((r: { id: string; outputs: { status: unknown } }) => ({ id: r.id, status: r.outputs.status }));
}

test("refresh through a host that answers 404 fails, names the URL, and keeps the paused batch in state", async () => {
  await sg.admin.reset();
  s = await localStack({
    projectName: "sendgrid-wrong-host",
    program: async () => {
      const b = new ScheduledBatch("held", { status: "paused", apiUrl: proxy.url });
      return { batchId: b.batchId };
    },
    secrets: { "sendgrid:apiKey": DEFAULT_EMULATOR_API_KEY },
  });
  const up = await s.stack.up();
  const batchId = String(up.outputs.batchId.value);
  expect(await recorded(s)).toEqual([{ id: batchId, status: "paused" }]);

  // The host at apiUrl stops being SendGrid: every request gets a 404 page.
  proxy.rules.answer = { status: 404, body: "<html><body><h1>404 Not Found</h1></body></html>", contentType: "text/html" };
  const refresh = s.stack.refresh().then(
    () => "refresh succeeded",
    (err: Error) => err.message,
  );
  const message = await refresh;
  expect(message).toMatch(/SendGrid GET \/v3\/user\/scheduled_sends\/\S+ failed: 404/);
  expect(message).toContain(`${proxy.url}/v3/user/scheduled_sends/${batchId}`);
  expect(message).toMatch(/Check apiUrl\/region/);
  expect(await recorded(s)).toEqual([{ id: batchId, status: "paused" }]);
  expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "paused"]]);

  // Once the host is SendGrid again, refresh agrees with state and SendGrid.
  proxy.rules.answer = undefined;
  await s.stack.refresh();
  expect(await recorded(s)).toEqual([{ id: batchId, status: "paused" }]);
});
