// `pulumi destroy` within SendGrid's 10-minute cut-off, through the real engine: SendGrid refuses
// the cancels (the emulator refuses a pause or cancel within 10 minutes of a batch's queued mail),
// so the destroy fails. What the user reads is one clear message per batch, with what became of the
// batch and the ways out, and no JS stack trace (Pulumi's provider hosts also print a failed
// delete's stack, which the engine shows a second time); the stack still holds both batches and
// SendGrid holds them as they were. For the dynamic resource and for the plugin from YAML.
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { PLUGIN_TYPE, pluginProject, type YamlProgram } from "./support/pluginProject";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(300_000);

const sg = useEmulator({ resetBeforeEach: true });
const REFUSED = "SendGrid refuses pause or cancel later than 10 minutes before send_at";

interface Recorded {
  type: string;
  urn: string;
  id?: string;
  outputs?: { status?: string };
}

type Destroy = (opts: { onOutput: (out: string) => void; onError: (err: string) => void }) => Promise<unknown>;

/** What a destroy that fails writes, stdout and stderr as the CLI prints them. */
async function failedDestroy(destroy: Destroy): Promise<string> {
  let text = "";
  const write = (part: string) => {
    text += part;
  };
  const outcome = await destroy({ onOutput: write, onError: write }).then(
    () => "the destroy succeeded",
    () => "the destroy failed",
  );
  expect(outcome).toBe("the destroy failed");
  return text;
}

/** The engine's "Diagnostics:" section: one entry per resource (and the stack) that reported something. */
function diagnostics(text: string): string {
  const start = text.indexOf("Diagnostics:");
  expect(start).toBeGreaterThanOrEqual(0);
  const end = text.indexOf("Resources:", start);
  return text.slice(start, end < 0 ? undefined : end);
}

const count = (text: string, part: string): number => text.split(part).length - 1;

/** Queue mail for each batch `secondsAhead` from now: SendGrid then refuses a cancel (10-minute cut-off). */
async function mailDue(ids: string[], sendAt: number): Promise<void> {
  for (const id of ids) await sg.admin.seedMessage({ batch_id: id, send_at: sendAt, to: ["ada@example.com"] });
}

async function held(): Promise<string[][]> {
  return (await sg.admin.batches()).map((b) => [b.batch_id, b.status]).sort();
}

/** What a destroy refused near send_at must print: one message per batch, its ways out, no JS stack trace. */
function expectOneClearMessagePerBatch(text: string, batches: number, stateDelete: RegExp): void {
  const diag = diagnostics(text);
  expect(count(diag, REFUSED)).toBe(batches);
  expect(count(diag, "Nothing was cancelled, and the stack still holds the batch")).toBe(batches);
  expect(diag.match(new RegExp(stateDelete.source, "g"))?.length).toBe(batches);
  expect(count(diag, "set the `retainOnDelete: true` resource option, run `pulumi up`, then destroy again")).toBe(batches);
  expect(count(diag, "Or destroy again once the send time has passed")).toBe(batches);
  // The message once per batch in the whole output: the engine's two progress lines and its
  // diagnostics entry, nothing more (the hosts' copies with the stack trace added two more each).
  expect(count(text, REFUSED)).toBe(3 * batches);
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain("SendGridError:");
}

describe("the dynamic resource", () => {
  let s: LocalStack;
  afterEach(async () => {
    await s?.dispose();
  });

  test("destroy 5 minutes before sendAt prints one clear message per batch with the ways out, no stack trace, and keeps both batches", async () => {
    const now = await sg.admin.now();
    s = await localStack({
      projectName: "sendgrid-too-late",
      program: async () => {
        const c = new pulumi.Config();
        const sends = new ScheduledBatch("sends", { status: "active", sendAt: Number(c.require("sendsAt")), apiUrl: sg.url });
        const kept = new ScheduledBatch("kept", { status: "paused" as BatchStatus, sendAt: Number(c.require("keptAt")), apiUrl: sg.url });
        return { sends: sends.batchId, kept: kept.batchId };
      },
      // A batch can be paused only more than 10 minutes ahead: paused first, then its send time moves closer.
      config: { sendsAt: String(now + 300), keptAt: String(now + 3600) },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    const made = await s.stack.up();
    const ids = [String(made.outputs.sends.value), String(made.outputs.kept.value)];
    await s.stack.setConfig("keptAt", { value: String(now + 300) });
    await s.stack.up();
    await mailDue(ids, now + 300);
    const before = await held();
    expect(before.map(([, status]) => status).sort()).toEqual(["active", "paused"]);

    const text = await failedDestroy((opts) => s.stack.destroy(opts));
    expectOneClearMessagePerBatch(text, 2, /`pulumi state delete <urn>` \(`pulumi stack --show-urns` lists the URNs\)/);

    // Both still in the stack, as SendGrid holds them.
    const recorded = ((await s.stack.exportStack()).deployment.resources as Recorded[]).filter((r) => r.type.endsWith(":ScheduledBatch"));
    expect(recorded.map((r) => [r.id, r.outputs?.status]).sort()).toEqual(before);
    expect(await held()).toEqual(before);
  });
});

describe("the plugin from a YAML program", () => {
  test("destroy 5 minutes before sendAt prints one clear message per batch naming its URN, no stack trace, and keeps both batches", async () => {
    const now = await sg.admin.now();
    const program = (keptAt: number): YamlProgram => ({
      batches: { sends: { status: "active", sendAt: now + 300 }, kept: { status: "paused", sendAt: keptAt } },
    });
    const p = await pluginProject("plugin-too-late", program(now + 3600), {
      config: { "sendgrid-batch:apiUrl": sg.url },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    try {
      const made = await p.s.stack.up();
      const ids = [String(made.outputs.sends.value), String(made.outputs.kept.value)];
      p.write(program(now + 300));
      await p.s.stack.up();
      await mailDue(ids, now + 300);
      const before = await held();
      expect(before.map(([, status]) => status).sort()).toEqual(["active", "paused"]);

      const text = await failedDestroy((opts) => p.s.stack.destroy(opts));
      expectOneClearMessagePerBatch(text, 2, /`pulumi state delete 'urn:pulumi:[^']+::sendgrid-batch:index:ScheduledBatch::(sends|kept)'`/);
      const recorded = ((await p.s.stack.exportStack()).deployment.resources as Recorded[]).filter((r) => r.type === PLUGIN_TYPE);
      for (const r of recorded) expect(diagnostics(text)).toContain(`pulumi state delete '${r.urn}'`);
      expect(recorded.map((r) => [r.id, r.outputs?.status]).sort()).toEqual(before);
      expect(await held()).toEqual(before);
    } finally {
      await p.dispose();
    }
  });
});
