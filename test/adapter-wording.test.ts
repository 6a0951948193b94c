// Each adapter says where ITS key and settings come from, and what ITS user does next (issue 16 §5):
// the core's errors carry a code and facts that name no adapter (no `sendgrid:apiKey`, no Pulumi
// "retried on the next run"); the dynamic provider says `pulumi config set --secret sendgrid:apiKey`,
// the plugin `sendgrid-batch:apiKey`, the CLI SENDGRID_API_KEY and "run the command again". (The
// Lambda's words, ApiKeySecretArn/ApiKeyParameterName, are pinned by test/lambda-bundle-failures.)
// Against the emulator over real HTTP, through the built bin and the real engine.
import * as pulumi from "@pulumi/pulumi";
import { serveLocally } from "../scripts/lib/localServer";
import { localStack } from "../scripts/lib/engine";
import { SendGridBatchClient, SendGridError } from "../core";
import { ScheduledBatch } from "../provider";
import { runBatchesBin } from "./support/batchesBin";
import { useEmulator } from "./support/emulator";
import { pluginProject } from "./support/pluginProject";

jest.setTimeout(600_000);

const sg = useEmulator();
/** A well-formed key the emulator does not know: SendGrid's 401. */
const REJECTED_KEY = "SG.aKeyTheEmulatorDoesNotKnow.0123456789abcdefghijklmnopqrstu";
/** Words that belong to one adapter or another, never to the core. */
const ADAPTER_WORDS = /sendgrid:apiKey|sendgrid-batch|pulumi|SENDGRID_API_KEY|ApiKeySecretArn|ApiKeyParameterName|next run|--api-url/;

/** An http://127.0.0.1 origin nothing listens on. */
async function closedOrigin(): Promise<string> {
  const server = await serveLocally((_req, _body, res) => res.end());
  await server.close();
  return server.url;
}

async function rejection(p: Promise<unknown>): Promise<SendGridError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof SendGridError)) throw new Error(`expected a SendGridError, got ${String(outcome)}`);
  return outcome;
}

describe("the core's errors name no adapter", () => {
  test("a rejected key: AUTH_REJECTED, and a hint that says so without naming where a key comes from", async () => {
    const err = await rejection(new SendGridBatchClient({ apiKey: REJECTED_KEY, apiUrl: sg.url }).createBatchId());
    expect(err.code).toBe("AUTH_REJECTED");
    expect(err.hint).toMatch(/The API key was rejected/);
    expect(err.message).not.toMatch(ADAPTER_WORDS);
  });

  test("an unreachable host: NETWORK, and a hint that promises no retry on a next run", async () => {
    const url = await closedOrigin();
    const client = new SendGridBatchClient({ apiKey: REJECTED_KEY, apiUrl: url }, { retry: { maxAttempts: 1 } });
    const err = await rejection(client.listStatuses());
    expect(err.code).toBe("NETWORK");
    expect(err.message).toMatch(new RegExp(`could not reach ${url}`));
    expect(err.message).not.toMatch(ADAPTER_WORDS);
  });
});

describe("the sendgrid-batches bin: the key comes from SENDGRID_API_KEY, and a failed command is run again", () => {
  test("no key: names SENDGRID_API_KEY, no Pulumi config", async () => {
    const r = await runBatchesBin(["list", "--api-url", sg.url], { SENDGRID_API_KEY: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no SendGrid API key: set the SENDGRID_API_KEY environment variable/);
    expect(r.stderr).not.toMatch(/pulumi|sendgrid:apiKey/);
  });

  test("a rejected key: names SENDGRID_API_KEY, no Pulumi config", async () => {
    const r = await runBatchesBin(["list", "--api-url", sg.url], { SENDGRID_API_KEY: REJECTED_KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: 401 .*The API key was rejected .*: set SENDGRID_API_KEY to an active key/);
    expect(r.stderr).not.toMatch(/pulumi|sendgrid:apiKey/);
  });

  test("an unreachable host: names --api-url and says to run the command again, not 'retried on the next run'", async () => {
    const url = await closedOrigin();
    const r = await runBatchesBin(["list", "--api-url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not reach .*Check --api-url\/--region and the network, then run the command again/);
    expect(r.stderr).not.toMatch(/next run|pulumi/);
  });
});

describe("through the engine, a rejected key names the adapter's own key setting", () => {
  test("the dynamic provider: `pulumi config set --secret sendgrid:apiKey` or SENDGRID_API_KEY", async () => {
    const s = await localStack({
      projectName: "sendgrid-rejected-key",
      program: async () => {
        new ScheduledBatch("b", { apiUrl: new pulumi.Config().require("apiUrl") });
      },
      config: { apiUrl: sg.url },
      secrets: { "sendgrid:apiKey": REJECTED_KEY },
    });
    try {
      const error = await s.stack.up().then(
        () => "up succeeded",
        (e: unknown) => String(e),
      );
      expect(error).toMatch(
        /failed: 401 .*The API key was rejected .*: set an active key with `pulumi config set --secret sendgrid:apiKey <key>` or the SENDGRID_API_KEY environment variable/,
      );
    } finally {
      await s.dispose();
    }
  });

  test("the plugin from YAML: `sendgrid-batch:apiKey` or SENDGRID_API_KEY, never the dynamic provider's `sendgrid:apiKey`", async () => {
    const p = await pluginProject(
      "plugin-rejected-key",
      { batches: { b: {} } },
      { config: { "sendgrid-batch:apiUrl": sg.url }, secrets: { "sendgrid-batch:apiKey": REJECTED_KEY } },
    );
    try {
      const error = await p.s.stack.up().then(
        () => "up succeeded",
        (e: unknown) => String(e),
      );
      expect(error).toMatch(
        /failed: 401 .*The API key was rejected .*: set an active key with `pulumi config set --secret sendgrid-batch:apiKey <key>`/,
      );
      expect(error).not.toContain("sendgrid:apiKey");
    } finally {
      await p.dispose();
    }
  });
});
