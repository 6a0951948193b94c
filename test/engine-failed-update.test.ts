// An update that changed SendGrid and then failed every retry, through the real engine: SendGrid
// took the change, every answer to it was lost (the emulator's "after" faults), and the run fails.
// State must record what SendGrid now holds (a partial update), not the status it believed before:
// with the old belief recorded, reverting the program would show no diff and the batch would stay
// cancelled, its mail discarded at send_at. Guards `converge` (core/lifecycle.ts) comparing what
// SendGrid holds with the believed status, for the dynamic resource and for the plugin.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY, type FaultOptions } from "../emulator";
import { useEmulator } from "./support/emulator";
import { PLUGIN_TYPE, pluginProject, type YamlProgram } from "./support/pluginProject";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { DEFAULT_RETRY } from "../core/retry";
import { localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator({ resetBeforeEach: true });

// Every attempt of the status change is applied and then answered 500; the client gives up after
// its attempts, and the read that follows (the first request past the cap) is answered.
const LOST_ANSWERS: FaultOptions = { seed: 1, rate: 1, kinds: ["500"], phase: "after", maxConsecutive: DEFAULT_RETRY.maxAttempts };

interface Recorded {
  type: string;
  id?: string;
  outputs?: { status?: string };
}

async function statusOf(batchId: string): Promise<string | undefined> {
  return (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status;
}

/** up → changed in SendGrid, every answer lost → the run fails; returns the status state then records. */
async function upWithLostAnswers(up: () => Promise<unknown>, recorded: () => Promise<Recorded | undefined>): Promise<string | undefined> {
  await sg.admin.configure({ faults: LOST_ANSWERS });
  try {
    await expect(up()).rejects.toThrow(/500 internal server error/);
  } finally {
    await sg.admin.configure({ faults: false });
  }
  const faulted = (await sg.admin.requests()).filter((r) => r.fault !== null).map((r) => `${r.method} ${r.route} ${r.fault?.phase}`);
  expect(faulted).toEqual(Array(DEFAULT_RETRY.maxAttempts).fill("PATCH /v3/user/scheduled_sends/{batch_id} after"));
  return (await recorded())?.outputs?.status;
}

describe("the dynamic resource", () => {
  let s: LocalStack;
  afterEach(async () => {
    await s?.dispose();
  });

  test("an update to cancelled that SendGrid applied but never answered records cancelled, and reverting to paused pauses it again", async () => {
    s = await localStack({
      projectName: "sendgrid-lost-answer",
      program: async () => {
        const b = new ScheduledBatch("held", { status: new pulumi.Config().require("status") as BatchStatus, apiUrl: sg.url });
        return { batchId: b.batchId };
      },
      config: { status: "paused" },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    const batchId = String((await s.stack.up()).outputs.batchId.value);
    expect(await statusOf(batchId)).toBe("paused");
    await sg.admin.clearRequests();

    await s.stack.setConfig("status", { value: "cancelled" });
    const recorded = async () =>
      ((await s.stack.exportStack()).deployment.resources as Recorded[]).find((r) => r.type.endsWith(":ScheduledBatch"));
    const status = await upWithLostAnswers(() => s.stack.up(), recorded);
    // What SendGrid holds, recorded at once.
    expect(await statusOf(batchId)).toBe("cancelled");
    expect(status).toBe("cancelled");

    // The program goes back to paused: a real change now, and SendGrid follows.
    await s.stack.setConfig("status", { value: "paused" });
    const back = await s.stack.up();
    expect(back.summary.resourceChanges).toEqual({ same: 1, update: 1 });
    expect(await statusOf(batchId)).toBe("paused");
    expect((await recorded())?.outputs?.status).toBe("paused");
  });
});

describe("the plugin from a YAML program", () => {
  test("an update to cancelled that SendGrid applied but never answered records cancelled, and reverting to paused pauses it again", async () => {
    const program = (status: string): YamlProgram => ({ batches: { held: { status } } });
    const p = await pluginProject("plugin-lost-answer", program("paused"), {
      config: { "sendgrid-batch:apiUrl": sg.url },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    try {
      const batchId = String((await p.s.stack.up()).outputs.held.value);
      expect(await statusOf(batchId)).toBe("paused");
      await sg.admin.clearRequests();

      p.write(program("cancelled"));
      const recorded = async () => ((await p.s.stack.exportStack()).deployment.resources as Recorded[]).find((r) => r.type === PLUGIN_TYPE);
      const status = await upWithLostAnswers(() => p.s.stack.up(), recorded);
      expect(await statusOf(batchId)).toBe("cancelled");
      expect(status).toBe("cancelled");

      p.write(program("paused"));
      await p.s.stack.up();
      expect(await statusOf(batchId)).toBe("paused");
      expect((await recorded())?.outputs?.status).toBe("paused");
    } finally {
      await p.dispose();
    }
  });
});
