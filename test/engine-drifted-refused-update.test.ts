// An update whose write SendGrid refuses while the batch holds a third status, through the real
// engine (issue 22, Also (a)): state believes active, someone paused the batch meanwhile (drift),
// and the program asks for cancelled; SendGrid answers "a status exists", the batch is re-read
// (paused), and the cancel is refused as too late (the application's mail is due in 5 minutes). The
// run fails, and state must record what SendGrid holds, paused: neither the old belief (active) nor
// the status asked for (cancelled), which SendGrid never held. engine-failed-update covers the
// write SendGrid applied, where the two coincide; in this one only SendGrid's own answer is right.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { call, mail, setStatus } from "./support/emulatorCalls";
import { PLUGIN_TYPE, pluginProject, type YamlProgram } from "./support/pluginProject";

jest.setTimeout(300_000);

const sg = useEmulator({ resetBeforeEach: true });

interface Recorded {
  type: string;
  id?: string;
  outputs?: { status?: string };
}

async function statusOf(batchId: string): Promise<string | undefined> {
  return (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status;
}

/** Someone pauses the batch outside the stack, then the application schedules mail on it 5 minutes ahead. */
async function driftToPausedWithMailDue(batchId: string): Promise<void> {
  expect((await setStatus(sg.emulator, batchId, "pause")).status).toBe(201);
  const sendAt = (await sg.admin.now()) + 300;
  expect((await call(sg.emulator, "POST", "/v3/mail/send", { body: mail({ batch_id: batchId, send_at: sendAt }) })).status).toBe(202);
  await sg.admin.clearRequests();
}

/** The requests of the failed update: the believed plan, the re-read, the re-planned write refused. */
async function refusedUpdateCalls(): Promise<string[]> {
  return (await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/")).map((r) => `${r.method} ${r.route} ${r.status}`);
}

const REFUSED = [
  "POST /v3/user/scheduled_sends 400",
  "GET /v3/user/scheduled_sends/{batch_id} 200",
  "PATCH /v3/user/scheduled_sends/{batch_id} 400",
  "GET /v3/user/scheduled_sends/{batch_id} 200",
];

describe("the dynamic resource", () => {
  let s: LocalStack;
  afterEach(async () => {
    await s?.dispose();
  });

  test("believed active, drifted to paused, cancel refused as too late: the failed up records paused", async () => {
    s = await localStack({
      projectName: "sendgrid-drift-refused",
      program: async () => {
        const b = new ScheduledBatch("held", { status: new pulumi.Config().require("status") as BatchStatus, apiUrl: sg.url });
        return { batchId: b.batchId };
      },
      config: { status: "active" },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    const batchId = String((await s.stack.up()).outputs.batchId.value);
    await driftToPausedWithMailDue(batchId);

    await s.stack.setConfig("status", { value: "cancelled" });
    await expect(s.stack.up()).rejects.toThrow(/SendGrid PATCH \/v3\/user\/scheduled_sends\/\S+ failed: 400 cannot pause or cancel/);
    expect(await refusedUpdateCalls()).toEqual(REFUSED);
    const recorded = ((await s.stack.exportStack()).deployment.resources as Recorded[]).find((r) => r.type.endsWith(":ScheduledBatch"));
    expect(await statusOf(batchId)).toBe("paused");
    expect(recorded?.outputs?.status).toBe("paused");
  });
});

describe("the plugin from a YAML program", () => {
  test("believed active, drifted to paused, cancel refused as too late: the failed up records paused", async () => {
    const program = (status: string): YamlProgram => ({ batches: { held: { status } } });
    const p = await pluginProject("plugin-drift-refused", program("active"), {
      config: { "sendgrid-batch:apiUrl": sg.url },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    try {
      const batchId = String((await p.s.stack.up()).outputs.held.value);
      await driftToPausedWithMailDue(batchId);

      p.write(program("cancelled"));
      await expect(p.s.stack.up()).rejects.toThrow(/SendGrid PATCH \/v3\/user\/scheduled_sends\/\S+ failed: 400 cannot pause or cancel/);
      expect(await refusedUpdateCalls()).toEqual(REFUSED);
      const recorded = ((await p.s.stack.exportStack()).deployment.resources as Recorded[]).find((r) => r.type === PLUGIN_TYPE);
      expect(await statusOf(batchId)).toBe("paused");
      expect(recorded?.outputs?.status).toBe("paused");
    } finally {
      await p.dispose();
    }
  });
});
