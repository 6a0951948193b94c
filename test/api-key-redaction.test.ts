// The API key never reaches error text or state, through every adapter (issue 16 §4).
// - A SendGrid stand-in (a real HTTP server on 127.0.0.1) answers every request 400 with the
//   request's Authorization header echoed in its error body, as a misbehaving proxy or gateway may:
//   the core's client, the built `sendgrid-batches` bin, the dynamic provider through the engine
//   and the plugin from a YAML program print no key, and neither the engine's events nor the stack
//   (export and backend files) hold it. The Lambda bundle's Reason is test/lambda-bundle-safety.
// - The plugin's key set with `pulumi config set sendgrid-batch:apiKey` WITHOUT `--secret` is stored
//   as a secret (CheckConfig answers it as one): `pulumi stack export` holds no plaintext key.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { type LocalServer, serveLocally } from "../scripts/lib/localServer";
import { ensurePulumiCli, localStack } from "../scripts/lib/engine";
import { SendGridBatchClient, SendGridError } from "../core";
import { ScheduledBatch } from "../provider";
import { runBatchesBin } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { PLUGIN_TYPE, backendText, pluginProject } from "./support/pluginProject";

jest.setTimeout(600_000);

/** A key of SendGrid's shape (`SG.<22>.<43>`) that is nobody's. */
const KEY = "SG.redactionTestKeyId01.redaction-test-secret-part-never-printed-0001";
const [, KEY_ID, KEY_SECRET] = KEY.split(".") as [string, string, string];
/** Every form of the key that must not appear. */
const FORMS = [KEY, KEY_ID, KEY_SECRET];

/**
 * A "SendGrid" that answers every request 400, echoing the Authorization header in the message
 * (whole, without its `Bearer SG.` prefix, and only the secret part) and as the field name.
 */
function echoingSendGrid(): Promise<LocalServer> {
  return serveLocally((req, _body, res) => {
    const auth = String(req.headers.authorization ?? "");
    const message = `bad request: Authorization: ${auth}; key ${auth.replace(/^Bearer SG\./, "")}; part ${auth.split(".").pop()}`;
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ field: auth, message }] }));
  });
}

let echo: LocalServer;
beforeAll(async () => {
  echo = await echoingSendGrid();
});
afterAll(async () => {
  await echo?.close();
});

/** The forms of the key found in `text` (none is the point). */
const leaked = (text: string) => FORMS.filter((f) => text.includes(f));

/** `pulumi stack export` as an operator runs it: without --show-secrets (the Automation API's exportStack adds it). */
async function stackExport(stack: Stack): Promise<string> {
  const { workspace } = stack;
  const pulumiBin = path.join(ensurePulumiCli(), "pulumi");
  const { stdout } = await promisify(execFile)(pulumiBin, ["stack", "export", "--stack", stack.name], {
    cwd: workspace.workDir,
    env: { ...process.env, ...workspace.envVars },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe("the core's client removes the key from every error, whatever the server echoed", () => {
  test.each([
    ["a SendGrid-shaped key", KEY],
    // Not SendGrid's shape: only knowing the key (and its parts) finds it once the "Bearer " is gone.
    ["a key of another shape", "another-shape-of-key.with-a-long-secret-part-0002"],
  ])("%s: message, summary, hint and fields say <redacted>", async (_name, apiKey) => {
    const client = new SendGridBatchClient({ apiKey, apiUrl: echo.url }, { retry: { maxAttempts: 1 } });
    const err = await client.createBatchId().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SendGridError);
    const e = err as SendGridError;
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(
      /^SendGrid POST \/v3\/mail\/batch failed: 400 bad request: Authorization: Bearer <redacted>; key .*<redacted>; part <redacted>/,
    );
    const everything = JSON.stringify([e.message, e.summary, e.hint, e.fields, e.stack]);
    const parts = [apiKey, ...apiKey.split(".").filter((p) => p.length >= 16)];
    expect(parts.filter((p) => everything.includes(p))).toEqual([]);
  });
});

test("the built sendgrid-batches bin prints the error without the key", async () => {
  const r = await runBatchesBin(["list", "--api-url", echo.url], { SENDGRID_API_KEY: KEY });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/error: SendGrid GET \/v3\/user\/scheduled_sends failed: 400 bad request: Authorization: Bearer <redacted>/);
  expect(leaked(r.stdout + r.stderr)).toEqual([]);
});

/** What one failing `up` showed and left behind: its output and error, every engine event, the export, the backend. */
async function failedUp(run: (onEvent: (e: EngineEvent) => void, onOutput: (s: string) => void) => Promise<unknown>) {
  const events: EngineEvent[] = [];
  let output = "";
  const error = await run(
    (e) => events.push(e),
    (s) => (output += s),
  ).then(
    () => "up succeeded",
    (e: unknown) => String(e instanceof Error ? e.message : e),
  );
  return { error, output, events: JSON.stringify(events) };
}

test("the dynamic provider through the engine: neither `pulumi up`'s output, its events nor the stack hold the key", async () => {
  const s = await localStack({
    projectName: "sendgrid-key-echo",
    program: async () => {
      new ScheduledBatch("b", { status: "paused", apiUrl: new pulumi.Config().require("apiUrl") });
    },
    config: { apiUrl: echo.url },
    secrets: { "sendgrid:apiKey": KEY },
  });
  try {
    const up = await failedUp((onEvent, onOutput) => s.stack.up({ onEvent, onOutput }));
    expect(up.error).toMatch(/SendGrid POST \/v3\/mail\/batch failed: 400 bad request: Authorization: Bearer <redacted>/);
    expect(up.events).toMatch(/Bearer <redacted>/); // the diagnostic is in the event stream, redacted
    const exported = await stackExport(s.stack);
    expect({
      output: leaked(up.output),
      error: leaked(up.error),
      events: leaked(up.events),
      export: leaked(exported),
      backend: leaked(backendText(s)),
    }).toEqual({ output: [], error: [], events: [], export: [], backend: [] });
  } finally {
    await s.dispose();
  }
});

describe("the plugin from a YAML program", () => {
  const sg = useEmulator();

  test("a server echoing the key: neither `pulumi up`'s output, its events nor the stack hold it", async () => {
    const p = await pluginProject(
      "plugin-key-echo",
      { batches: { b: { status: "paused" } } },
      // The key from the environment: the engine does not know it, so only our redaction can hide it.
      { config: { "sendgrid-batch:apiUrl": echo.url }, env: { SENDGRID_API_KEY: KEY } },
    );
    try {
      const up = await failedUp((onEvent, onOutput) => p.s.stack.up({ onEvent, onOutput }));
      expect(up.error).toMatch(/SendGrid POST \/v3\/mail\/batch failed: 400 bad request: Authorization: Bearer <redacted>/);
      expect(up.events).toMatch(/Bearer <redacted>/);
      const exported = await stackExport(p.s.stack);
      expect({
        output: leaked(up.output),
        error: leaked(up.error),
        events: leaked(up.events),
        export: leaked(exported),
        backend: leaked(backendText(p.s)),
      }).toEqual({ output: [], error: [], events: [], export: [], backend: [] });
    } finally {
      await p.dispose();
    }
  });

  test("a key set with `pulumi config set sendgrid-batch:apiKey` without --secret is stored as a secret, and the batch is made", async () => {
    await sg.admin.reset();
    const key = DEFAULT_EMULATOR_API_KEY;
    // `config` is `pulumi config set KEY VALUE` (plaintext); `secrets` would add --secret.
    const p = await pluginProject(
      "plugin-plain-key",
      { batches: { b: { status: "paused" } } },
      { config: { "sendgrid-batch:apiUrl": sg.url, "sendgrid-batch:apiKey": key } },
    );
    try {
      const res = await p.s.stack.up();
      const batchId = String(res.outputs.b?.value);
      expect((await sg.admin.batches()).map((b) => [b.batch_id, b.status])).toEqual([[batchId, "paused"]]);

      const exported = await stackExport(p.s.stack);
      expect(exported).toContain(PLUGIN_TYPE);
      expect(exported.split(key).length - 1).toBe(0);
      // The provider's apiKey (its inputs and outputs) is ciphertext under the engine's secret signature.
      expect(exported).toMatch(/"apiKey":\s*\{\s*"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/);
      // Every checkpoint the backend wrote (state and its backups). Its update history also records
      // the stack's config as the user set it (here in plaintext): that is the user's choice, not state.
      const checkpoints = p.s
        .backendFiles()
        .filter((f) => !f.includes(`${path.sep}history${path.sep}`))
        .map((f) => fs.readFileSync(f, "utf8"));
      expect(checkpoints.join("\n")).toContain(PLUGIN_TYPE);
      expect(checkpoints.join("\n")).not.toContain(key);

      // The provider still works from the secret it stored: the next up changes the batch.
      p.write({ batches: { b: { status: "cancelled" } } });
      await p.s.stack.up();
      expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["cancelled"]);
    } finally {
      await p.dispose();
    }
  });
});
