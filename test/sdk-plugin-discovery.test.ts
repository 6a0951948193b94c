// What a Python or Go program meets in the real engine, short of its language host (the Python and
// Go hosts cannot be built here): each resource of a generated SDK asks for the `sendgrid-batch`
// plugin at the SDK's version (package.json's). A Pulumi YAML program asking for that version the
// same way (`options.version`) shows the engine finds the plugin executable on PATH (a global npm
// install) or through `plugins.providers`, with automatic plugin download left on: without either it
// tries to download the plugin, and fails.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensurePulumiCli, localStack, REPO_ROOT } from "../scripts/lib/engine";
import { SDK_VERSION } from "./support/sdkWire";

function program(withPluginsProviders: boolean): string {
  const plugins = ["plugins:", "  providers:", "    - name: sendgrid-batch", `      path: ${JSON.stringify(path.join(REPO_ROOT, "bin"))}`];
  return [
    "name: sdk-plugin-discovery",
    "runtime: yaml",
    ...(withPluginsProviders ? plugins : []),
    "resources:",
    "  newsletter:",
    "    type: sendgrid-batch:index:ScheduledBatch",
    "    properties:",
    "      status: paused",
    "    options:",
    `      version: ${SDK_VERSION}`,
    "",
  ].join("\n");
}

/** Preview (no SendGrid request: the apiUrl is a closed loopback port) with exactly this PATH. */
async function preview(withPluginsProviders: boolean, pathDirs: string[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-sdk-discovery-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), program(withPluginsProviders));
  const s = await localStack({
    workDir: dir,
    config: { "sendgrid-batch:apiUrl": "http://127.0.0.1:9" },
    env: {
      SENDGRID_API_KEY: "SG.discovery-test-key",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "false",
      // Where it would download the plugin from (by default GitHub's pulumi org, then get.pulumi.com,
      // neither of which has it): a closed loopback port, so the attempt fails fast and offline.
      PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: "^github://api.github.com/pulumi=http://127.0.0.1:9",
      PATH: [ensurePulumiCli({ yaml: true }), ...pathDirs, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter),
    },
  });
  try {
    return await s.stack.preview().then(
      (r) => `ok: ${JSON.stringify(r.changeSummary)}`,
      (e: Error) => e.message,
    );
  } finally {
    await s.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test(`a program asking for sendgrid-batch ${SDK_VERSION} finds the plugin on PATH`, async () => {
  expect(await preview(false, [path.join(REPO_ROOT, "bin")])).toBe('ok: {"create":2}');
}, 120_000);

test(`a program asking for sendgrid-batch ${SDK_VERSION} finds the plugin through plugins.providers`, async () => {
  expect(await preview(true, [])).toBe('ok: {"create":2}');
}, 120_000);

test("with neither, the engine looks for the plugin to download, and the preview fails", async () => {
  const failed = await preview(false, []);
  expect(failed).toContain(`Get "http://127.0.0.1:9/pulumi-resource-sendgrid-batch-v${SDK_VERSION}-`);
  expect(failed).toContain(
    `Could not automatically download and install resource plugin 'pulumi-resource-sendgrid-batch' at version v${SDK_VERSION}`,
  );
}, 120_000);
