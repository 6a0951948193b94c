// The `sendgrid-batch` provider plugin through the real engine, from Pulumi YAML programs, against
// the emulator over HTTP: several batches side by side through the transitions (the cross-adapter
// table, one row at a time, is test/support/transitions.ts, walked by test/transitions-*.test.ts),
// the preview's detailedDiff, a change of account (another provider instance, or another account in
// the provider's config) as a replace, refresh after drift with several batches, destroy of each
// status at once; bad input, key handling and the examples/yaml project as shipped.
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { outOfBandBatch } from "./support/emulatorCalls";
import { PLUGIN_TYPE, backendText, pluginProject, stepCollector, type PluginProject, type YamlProgram } from "./support/pluginProject";
import { REPO_ROOT, localStack } from "../scripts/lib/engine";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;
const calls = () => takeSendGridCalls(sg.admin);

const CREATE = "POST /v3/mail/batch";
const ADD_STATUS = "POST /v3/user/scheduled_sends";
const CHANGE_STATUS = "PATCH /v3/user/scheduled_sends/{batch_id}";
const CLEAR_STATUS = "DELETE /v3/user/scheduled_sends/{batch_id}";
const READ_STATUS = "GET /v3/user/scheduled_sends/{batch_id}";
const VALIDATE = "GET /v3/mail/batch/{batch_id}";

/** A batch made outside Pulumi, with `status` (SendGrid's spelling: pause/cancel) if given. */
const outOfBand = (status?: "pause" | "cancel") => outOfBandBatch(sg.emulator, sg.admin, status);

async function statusOf(batchId: string): Promise<string | undefined> {
  return (await sg.admin.batches()).find((b) => b.batch_id === batchId)?.status;
}

describe("the transition table through the plugin from a YAML program", () => {
  let p: PluginProject;
  const program: YamlProgram = { batches: {} };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await sg.admin.reset();
    // The default provider takes its key from secret config; explicit providers from the environment.
    p = await pluginProject("plugin-table", program, {
      config: { "sendgrid-batch:apiUrl": sg.url },
      secrets: { "sendgrid-batch:apiKey": KEY },
      env: { SENDGRID_API_KEY: KEY },
    });
  });
  afterAll(async () => {
    await p?.dispose();
  });

  /** Apply the program; the SendGrid calls it made, sorted (independent resources run in parallel). */
  async function up(): Promise<string[]> {
    p.write(program);
    const res = await p.s.stack.up();
    for (const [name, out] of Object.entries(res.outputs)) ids[name] = String(out.value);
    return (await calls()).sort();
  }

  const rows: [string, () => void, string[]][] = [
    ["create active", () => (program.batches.a = { status: "active" }), [CREATE]],
    ["create paused", () => (program.batches.p = { status: "paused" }), [CREATE, ADD_STATUS]],
    ["create cancelled", () => (program.batches.c = { status: "cancelled" }), [CREATE, ADD_STATUS]],
    ["active → paused", () => (program.batches.a.status = "paused"), [ADD_STATUS]],
    ["paused → cancelled", () => (program.batches.a.status = "cancelled"), [CHANGE_STATUS]],
    ["cancelled → paused", () => (program.batches.a.status = "paused"), [CHANGE_STATUS]],
    ["paused → active", () => (program.batches.a.status = "active"), [CLEAR_STATUS]],
    ["active → cancelled", () => (program.batches.a.status = "cancelled"), [ADD_STATUS]],
    ["cancelled → active", () => (program.batches.a.status = "active"), [CLEAR_STATUS]],
    ["no change", () => undefined, []],
  ];
  test.each(rows)("%s", async (_row, change, expected) => {
    change();
    expect(await up()).toEqual([...expected].sort());
    for (const [name, b] of Object.entries(program.batches)) expect(await statusOf(ids[name])).toBe(b.status);
  });

  test("a status change previews as an in-place update of `status` (detailedDiff), with no request", async () => {
    program.batches.a.status = "paused";
    p.write(program);
    const c = stepCollector();
    await p.s.stack.preview({ onEvent: c.onEvent });
    expect(c.steps.filter((x) => x.op !== "same")).toEqual([{ name: "a", op: "update", diff: { status: "update" } }]);
    expect(await calls()).toEqual([]);
    program.batches.a.status = "active";
  });

  test("adopt by batchId: reads, then writes only if the status must change", async () => {
    const held = await outOfBand("pause");
    program.batches.held = { batchId: held, status: "paused" };
    expect(await up()).toEqual([READ_STATUS]);
    expect(ids.held).toBe(held);
    const open = await outOfBand();
    program.batches.open = { batchId: open, status: "paused" };
    expect(await up()).toEqual([ADD_STATUS, READ_STATUS, VALIDATE].sort());
    expect(await statusOf(open)).toBe("paused");
  });

  test("refresh records a status changed out of band; the next preview shows the way back", async () => {
    // Someone resumes the paused batch in SendGrid directly.
    await fetch(`${sg.url}/v3/user/scheduled_sends/${ids.p}`, { method: "DELETE", headers: { Authorization: `Bearer ${KEY}` } });
    await sg.admin.clearRequests();
    await p.s.stack.refresh();
    // a: active (2 reads), p: now active (2 reads), c: cancelled (1), held, open: paused (1 each).
    expect((await calls()).sort()).toEqual([...Array(5).fill(READ_STATUS), VALIDATE, VALIDATE].sort());
    const exported = await p.s.stack.exportStack();
    const state = exported.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::p"));
    expect([state.inputs.status, state.outputs.status]).toEqual(["active", "active"]);

    const c = stepCollector();
    await p.s.stack.preview({ onEvent: c.onEvent });
    expect(c.steps.filter((x) => x.op !== "same")).toEqual([{ name: "p", op: "update", diff: { status: "update" } }]);
    expect(await up()).toEqual([ADD_STATUS]);
    expect(await statusOf(ids.p)).toBe("paused");
  });

  test("another account in the provider's config replaces its batches; a new API key does not", async () => {
    await p.s.stack.setConfig("sendgrid-batch:onBehalfOf", { value: "subuser-a" });
    const c = stepCollector();
    try {
      await p.s.stack.preview({ onEvent: c.onEvent });
    } finally {
      await p.s.stack.removeConfig("sendgrid-batch:onBehalfOf");
    }
    const replaced = c.steps.filter((x) => x.op === "replace").map((x) => x.name);
    expect(replaced.sort()).toEqual(Object.keys(program.batches).sort());

    await p.s.stack.setConfig("sendgrid-batch:apiKey", { value: "SG.a-rotated-key", secret: true });
    const rotated = stepCollector();
    try {
      await p.s.stack.preview({ onEvent: rotated.onEvent });
    } finally {
      await p.s.stack.setConfig("sendgrid-batch:apiKey", { value: KEY, secret: true });
    }
    expect(rotated.steps.map((x) => x.op).filter((op) => op !== "same")).toEqual([]);
    expect(await calls()).toEqual([]);
  });

  test("moving a batch to another provider instance (another account) replaces it: create, then cancel the old one", async () => {
    program.providers = { subuser: { apiUrl: sg.url, onBehalfOf: "subuser-a" } };
    program.batches.a.provider = "subuser";
    p.write(program);
    const c = stepCollector();
    await p.s.stack.preview({ onEvent: c.onEvent });
    expect(c.steps.filter((x) => x.name === "a").map((x) => x.op)).toEqual(["create-replacement", "replace", "delete-replaced"]);
    expect(await calls()).toEqual([]);

    const old = ids.a;
    p.write(program);
    await p.s.stack.up();
    const made = await calls();
    expect(made).toEqual([CREATE, ADD_STATUS]); // the new batch (active), then the old one cancelled
    const res = await p.s.stack.outputs();
    expect(res.a.value).not.toBe(old);
    expect(await statusOf(old)).toBe("cancelled");
    expect((await sg.admin.batches()).find((b) => b.batch_id === res.a.value)?.onBehalfOf).toBe("subuser-a");
  });

  test("destroy cancels each batch by its status: active POST, paused PATCH, cancelled one read", async () => {
    // Now: a active (subuser), p paused, c cancelled, held paused, open paused.
    await p.s.stack.destroy();
    expect((await calls()).sort()).toEqual([ADD_STATUS, CHANGE_STATUS, CHANGE_STATUS, CHANGE_STATUS, READ_STATUS].sort());
    for (const name of Object.keys(program.batches)) expect(await statusOf(ids[name])).toBe("cancelled");
  });
});

test("bad input at preview fails through the plugin, naming each property and rule, with 0 requests", async () => {
  await sg.admin.reset();
  const failure = (run: Promise<unknown>) =>
    run.then(
      () => "preview succeeded",
      (e: Error) => e.message,
    );
  const p = await pluginProject(
    "plugin-bad-input",
    { providers: { eu: { region: "mars", apiUrl: `${sg.url}/v3` } }, batches: { b: { provider: "eu" } } },
    { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY } },
  );
  try {
    // A literal outside the schema's enums: Pulumi YAML refuses it before the plugin is asked (the
    // plugin's own words for these are in plugin-grpc's CheckConfig test and engine-bad-input).
    expect(await failure(p.s.stack.preview())).toMatch(
      /region: Cannot assign type 'string' to type 'sendgrid-batch:index:Region':\s+Allowed values are "global", "eu"/,
    );
    p.write({ batches: { b: { status: "sleeping" } } });
    expect(await failure(p.s.stack.preview())).toMatch(/Allowed values are "active", "paused", "cancelled"/);

    // The provider's configuration (CheckConfig).
    p.write({ providers: { eu: { region: "eu", apiUrl: `${sg.url}/v3` } }, batches: { b: { provider: "eu" } } });
    expect(await failure(p.s.stack.preview())).toMatch(/apiUrl must be an origin such as "https:\/\/api.sendgrid.com", without a path/);

    // The resource's inputs (Check), the same rules and words as the dynamic resource.
    p.write({ batches: { b: { status: "paused", sendAt: 1_700_000_000_000 } } });
    const inputs = await failure(p.s.stack.preview());
    expect(inputs).toMatch(/sendAt 1700000000000 looks like milliseconds; SendGrid's send_at is Unix seconds \(use 1700000000\)/);

    // An account on the resource: Pulumi YAML already refuses it from the schema.
    p.write({ batches: { b: { extra: { region: "eu" } } } });
    expect(await failure(p.s.stack.preview())).toMatch(/Property region does not exist on 'sendgrid-batch:index:ScheduledBatch'/);
    expect(await sg.admin.requests()).toEqual([]);
  } finally {
    await p.dispose();
  }
});

test("a missing API key fails at preview through the plugin, with 0 requests", async () => {
  await sg.admin.reset();
  const p = await pluginProject("plugin-no-key", { batches: { b: {} } }, { config: { "sendgrid-batch:apiUrl": sg.url } });
  try {
    await expect(p.s.stack.preview()).rejects.toThrow(
      /no SendGrid API key: set it with `pulumi config set --secret sendgrid-batch:apiKey <key>`/,
    );
    expect(await sg.admin.requests()).toEqual([]);
  } finally {
    await p.dispose();
  }
});

test("a SENDGRID_QUOTA_WAIT_SECONDS that is not 0–600 whole seconds fails at preview through the plugin, with 0 requests", async () => {
  await sg.admin.reset();
  const p = await pluginProject(
    "plugin-bad-quota-wait",
    { batches: { b: { status: "paused" } } },
    { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY, SENDGRID_QUOTA_WAIT_SECONDS: "60s" } },
  );
  try {
    await expect(p.s.stack.preview()).rejects.toThrow(
      /SENDGRID_QUOTA_WAIT_SECONDS must be a whole number of seconds from 0 to 600 \(.*\), got "60s"/,
    );
    expect(await sg.admin.requests()).toEqual([]);
  } finally {
    await p.dispose();
  }
});

test("while a pause waits for a free quota slot, the plugin says what it waits for in the engine's output", async () => {
  await sg.admin.reset();
  await sg.admin.configure({ maxPausedOrCancelled: 1 });
  await outOfBandBatch(sg.emulator, sg.admin, "pause"); // someone else's paused batch holds the only slot
  const p = await pluginProject(
    "plugin-quota-wait",
    { batches: { b: { status: "paused" } } },
    { config: { "sendgrid-batch:apiUrl": sg.url }, env: { SENDGRID_API_KEY: KEY, SENDGRID_QUOTA_WAIT_SECONDS: "1" } },
  );
  try {
    let output = "";
    await expect(p.s.stack.up({ onOutput: (text) => (output += text) })).rejects.toThrow(/max limit reached/);
    expect(output).toMatch(
      /sendgrid-batch: waiting for a free slot to pause batch [\w-]+: SendGrid holds its limit of batches paused or cancelled at once \("max limit reached"\)\. Retrying while other changes of this run may free one: 0 s of at most 1 s/,
    );
  } finally {
    await sg.admin.configure({ maxPausedOrCancelled: 10 });
    await p.dispose();
  }
});

/** preview, up, refresh, destroy at -v=9; what the engine and the plugin printed, and the state. */
async function verboseLifecycle(keyOpts: { secrets?: Record<string, string>; env?: Record<string, string> }) {
  await sg.admin.reset();
  const p = await pluginProject(
    "plugin-key-leak",
    { batches: { b: { status: "paused" } } },
    { config: { "sendgrid-batch:apiUrl": sg.url }, ...keyOpts },
  );
  try {
    const logs: string[] = [];
    const verbose = { logVerbosity: 9, logToStdErr: true, debug: true };
    for (const run of [
      () => p.s.stack.preview(verbose),
      () => p.s.stack.up(verbose),
      () => p.s.stack.refresh(verbose),
      () => p.s.stack.destroy(verbose),
    ]) {
      const res = await run();
      logs.push(res.stdout, res.stderr);
    }
    expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["cancelled"]);
    return { logs: logs.join("\n"), state: backendText(p.s) };
  } finally {
    await p.dispose();
  }
}

test("with the key in SENDGRID_API_KEY, neither state nor the engine's -v=9 logs contain it", async () => {
  const { logs, state } = await verboseLifecycle({ env: { SENDGRID_API_KEY: KEY } });
  expect(logs.length).toBeGreaterThan(50_000); // -v=9 really logged, gRPC payloads included
  expect(logs).toMatch(/Marshaling property for RPC\[Provider\[\w+\]\.Configure\(\)/);
  expect(logs).not.toContain(KEY);
  expect(state).toContain(PLUGIN_TYPE);
  expect(state).not.toContain(KEY);
});

test("with the key in secret stack config, state holds only ciphertext; only the engine's own -v>=7 lines print it (upstream)", async () => {
  const { logs, state } = await verboseLifecycle({ secrets: { "sendgrid-batch:apiKey": KEY } });
  expect(state).toContain(PLUGIN_TYPE);
  expect(state).not.toContain(KEY);
  expect(state).toMatch(/"apiKey":\s*\{\s*"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/);
  // The engine logs provider config it marshals (secrets decrypted) at -v=7 and -v=9: "Planner
  // decided to create … (inputs=…)", "Marshaling property for RPC[…CheckConfig/Configure…]". Every
  // line with the key must be one of those engine lines, never the plugin's output or a diagnostic.
  const lines = logs.split("\n").filter((l) => l.includes(KEY));
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).toMatch(
      /"level\\?":\\?"INFO\\?",\\?"msg\\?":\\?"(Planner decided to create|Marshaling property for RPC|Unmarshaling property for RPC)/,
    );
    expect(line).toMatch(/\\?"v\\?":(7|9)\}/);
  }
});

test("examples/yaml runs as shipped: preview, up, destroy", async () => {
  await sg.admin.reset();
  const s = await localStack({
    workDir: path.join(REPO_ROOT, "examples", "yaml"),
    stackName: `example-${process.pid}`,
    config: { "sendgrid-batch:apiUrl": sg.url, status: "paused" },
    env: { SENDGRID_API_KEY: KEY },
  });
  try {
    const preview = await s.stack.preview();
    expect(preview.changeSummary).toEqual({ create: 2 });
    expect(await calls()).toEqual([]);
    const up = await s.stack.up();
    expect(up.outputs.status.value).toBe("paused");
    expect(await calls()).toEqual([CREATE, ADD_STATUS]);
    await s.stack.destroy();
    expect(await calls()).toEqual([CHANGE_STATUS]);
    expect(await statusOf(String(up.outputs.batchId.value))).toBe("cancelled");
  } finally {
    await s.dispose();
  }
});
