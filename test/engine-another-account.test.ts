// Another account's key never reads as "the batches are gone" (issue 16 §2). SendGrid cannot delete
// a batch id, so an id a stack created that the account "does not know" means another key, account,
// region or subuser. With a valid key of another account, `pulumi refresh` used to drop every batch
// from state and `pulumi destroy` to report success having cancelled nothing: the active batch's mail
// was delivered, the paused one stayed paused and unrecorded. Now both fail, name the likely causes
// and the ways out, and leave state and SendGrid as they were. Through the real engine, for the
// dynamic resource and for the plugin from Pulumi YAML.
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { ScheduledBatch } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { pluginProject, type PluginProject } from "./support/pluginProject";

jest.setTimeout(400_000);

/** A valid key of a second account on the same host (the emulator gives each key its own account). */
const OTHER_KEY = "SG.anotherAccountsKey000.of-the-same-shape-as-a-real-key-but-account-2";
const sg = useEmulator({ apiKeys: [DEFAULT_EMULATOR_API_KEY, OTHER_KEY] });

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "succeeded",
    (err: Error) => err.message,
  );

async function held(): Promise<Map<string, string>> {
  return new Map((await sg.admin.batches()).map((b) => [b.batch_id, b.status]));
}

async function recorded(s: LocalStack): Promise<Map<string, unknown>> {
  const exported = await s.stack.exportStack();
  return new Map(
    exported.deployment.resources
      .filter((r: { type: string }) => r.type.endsWith(":ScheduledBatch"))
      .map((r: { id: string; outputs: { status: unknown } }) => [r.id, r.outputs.status] as const),
  );
}

/** SENDGRID_API_KEY for the stack's next commands (the CLI and the provider processes it starts). */
function useKey(s: LocalStack, key: string): void {
  (s.stack.workspace as LocalWorkspace).envVars.SENDGRID_API_KEY = key;
}

/** Refresh and destroy fail, naming the causes and the ways out; state and SendGrid stay as they were. */
async function expectRefusedEverywhere(s: LocalStack, ids: { active: string; paused: string }, waysOut: RegExp): Promise<void> {
  const before = await held();
  const refresh = await outcome(s.stack.refresh());
  expect(refresh).toMatch(new RegExp(`SendGrid does not know batch (${ids.active}|${ids.paused}) in the account this call used`));
  expect(refresh).toMatch(/the API key, account, region or subuser differs from the one the batch was made with/);
  expect(refresh).toMatch(waysOut);
  expect(await recorded(s)).toEqual(
    new Map([
      [ids.active, "active"],
      [ids.paused, "paused"],
    ]),
  );

  const destroy = await outcome(s.stack.destroy());
  expect(destroy).toMatch(/SendGrid does not know batch/);
  expect(await recorded(s)).toEqual(
    new Map([
      [ids.active, "active"],
      [ids.paused, "paused"],
    ]),
  );
  expect(await held()).toEqual(before); // nothing cancelled, nothing released
}

describe("the dynamic resource", () => {
  let s: LocalStack | undefined;
  afterAll(async () => {
    await s?.dispose();
  });

  test("with another account's key, refresh and destroy fail and keep both batches; with the right key, destroy cancels them", async () => {
    await sg.admin.reset();
    s = await localStack({
      projectName: "sendgrid-another-account",
      program: async () => {
        const active = new ScheduledBatch("active", { status: "active", apiUrl: sg.url });
        const paused = new ScheduledBatch("paused", { status: "paused", apiUrl: sg.url });
        return { active: active.batchId, paused: paused.batchId };
      },
      env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
    });
    const up = await s.stack.up();
    const ids = { active: String(up.outputs.active.value), paused: String(up.outputs.paused.value) };
    // One line per run says where the minted ids are journaled; the id of each is not repeated in the summary.
    const diagnostics = up.stdout.slice(up.stdout.indexOf("Diagnostics:"));
    expect(diagnostics.match(/sendgrid-batch: the ids of the batches this run mints are journaled in \S+journal\.jsonl/g)).toHaveLength(1);
    expect(up.stdout).not.toContain("minted batch");

    useKey(s, OTHER_KEY); // SENDGRID_API_KEY rotated to another account's valid key
    await expectRefusedEverywhere(s, ids, /pulumi state delete <urn>.*retainOnDelete: true/);

    useKey(s, DEFAULT_EMULATOR_API_KEY);
    await s.stack.destroy();
    expect(await held()).toEqual(
      new Map([
        [ids.active, "cancelled"],
        [ids.paused, "cancelled"],
      ]),
    );
  });
});

describe("the plugin from Pulumi YAML", () => {
  let p: PluginProject | undefined;
  afterAll(async () => {
    await p?.dispose();
  });

  test("with another account's key, refresh and destroy fail and keep both batches", async () => {
    await sg.admin.reset();
    p = await pluginProject(
      "sendgrid-another-account-yaml",
      { batches: { active: { status: "active" }, paused: { status: "paused" } } },
      { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY } },
    );
    const up = await p.s.stack.up();
    const ids = { active: String(up.outputs.active.value), paused: String(up.outputs.paused.value) };
    // Each minted id goes to the engine's log at debug level: not in the run's summary.
    expect(up.stdout).not.toContain("minted batch");

    useKey(p.s, OTHER_KEY);
    await expectRefusedEverywhere(p.s, ids, /sendgrid-batch:apiKey.*pulumi state delete <urn>.*retainOnDelete: true/);

    useKey(p.s, DEFAULT_EMULATOR_API_KEY);
    await p.s.stack.destroy();
    expect(await held()).toEqual(
      new Map([
        [ids.active, "cancelled"],
        [ids.paused, "cancelled"],
      ]),
    );
  });

  test("`pulumi import` of an id the account does not know says what is wrong", async () => {
    await sg.admin.reset();
    const sub = await pluginProject(
      "sendgrid-import-unknown",
      { batches: {} },
      { config: { "sendgrid-batch:apiUrl": sg.url }, secrets: { "sendgrid-batch:apiKey": DEFAULT_EMULATOR_API_KEY } },
    );
    try {
      const res = await fetch(`${sg.url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${OTHER_KEY}` } });
      const foreign = ((await res.json()) as { batch_id: string }).batch_id; // another account's batch
      const imported = await outcome(
        sub.s.stack.import({ resources: [{ type: "sendgrid-batch:index:ScheduledBatch", name: "b", id: foreign }] }),
      );
      expect(imported).not.toMatch(/does not support importing/);
      expect(imported).toMatch(new RegExp(`cannot import: SendGrid does not know batch ${foreign} in the account this call used`));
      expect(imported).toMatch(/sendgrid-batch:onBehalfOf.*a subuser's batch/);
    } finally {
      await sub.dispose();
    }
  });
});
