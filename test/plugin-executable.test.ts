// The self-contained plugin `npm run dist` builds (scripts/release/), as a user without Node.js meets
// it: one version everywhere, a tarball the engine can install (the executable at its root, a
// checksum that matches), the schema it serves is the plugin's, and through the real engine, with
// only the CLI's bin folder on PATH and no node_modules above the program, a Pulumi YAML program
// goes up, imports, refreshes and is destroyed against the emulator.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { sendgridBatchProvider } from "../plugin/provider";
import { REPO_ROOT } from "../scripts/lib/engine";
import { PLUGIN_NAME, platformName } from "../scripts/release/pluginExecutable";
import * as pkg from "../package.json";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import { call, outOfBandBatch } from "./support/emulatorCalls";
import { type BareCli, bareCli, disposePluginTarball, nodeModulesAbove, pluginTarball, yamlProgram } from "./support/pluginRelease";

jest.setTimeout(600_000);

const sg = useEmulator();
const { version } = pkg;
let exeDir = "";
let cli: BareCli | undefined;

beforeAll(async () => {
  const built = await pluginTarball();
  exeDir = fs.mkdtempSync(path.join(path.dirname(built.tarball), "exe-"));
  execFileSync("tar", ["-xzf", built.tarball, "-C", exeDir]);
}, 900_000);
afterAll(() => {
  cli?.dispose();
  disposePluginTarball();
});

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) as Record<string, unknown>;
const servedSchema = () => JSON.parse(sendgridBatchProvider(pkg).provider.schema ?? "") as Record<string, unknown>;

test("the tarball is named as the engine looks for it, holds only the executable at its root, and its checksum file matches", async () => {
  const built = await pluginTarball();
  expect(path.basename(built.tarball)).toBe(`${PLUGIN_NAME}-v${version}-${platformName()}.tar.gz`);
  expect(execFileSync("tar", ["-tzf", built.tarball], { encoding: "utf8" }).trim().split("\n")).toEqual([PLUGIN_NAME]);
  const sha = createHash("sha256").update(fs.readFileSync(built.tarball)).digest("hex");
  expect(fs.readFileSync(built.checksum, "utf8")).toBe(`${sha}  ${path.basename(built.tarball)}\n`);
});

test("one version everywhere: package.json, --version, the served schema, the tarball and every SDK", async () => {
  const built = await pluginTarball();
  // Run with an empty environment: the executable needs no Node.js and no node_modules.
  const printed = execFileSync(path.join(exeDir, PLUGIN_NAME), ["--version"], { env: {}, cwd: exeDir, encoding: "utf8" }).trim();
  const pyproject = fs.readFileSync(path.join(REPO_ROOT, "sdk", "python", "pyproject.toml"), "utf8");
  const versions = {
    "--version": printed,
    tarball: built.version,
    schema: servedSchema().version,
    "sdk/python pyproject.toml": /^\s*version = "([^"]+)"/m.exec(pyproject)?.[1],
    "sdk/python pulumi-plugin.json": readJson("sdk/python/pulumi_sendgrid_batch/pulumi-plugin.json").version,
    "sdk/go pulumi-plugin.json": readJson("sdk/go/sendgridbatch/pulumi-plugin.json").version,
    "sdk/nodejs package.json": readJson("sdk/nodejs/package.json").version,
    "sdk/nodejs pulumi": (readJson("sdk/nodejs/package.json").pulumi as { version: string }).version,
  };
  expect(versions).toEqual(Object.fromEntries(Object.keys(versions).map((k) => [k, version])));
});

test("every SDK asks the engine to download the plugin from the schema's pluginDownloadURL, the repository's GitHub releases", () => {
  const url = servedSchema().pluginDownloadURL;
  expect(url).toBe(`github://api.github.com/${(/github\.com\/([^/]+\/[^/.]+)/.exec(pkg.repository.url) ?? [])[1]}`);
  expect({
    python: readJson("sdk/python/pulumi_sendgrid_batch/pulumi-plugin.json").server,
    go: readJson("sdk/go/sendgridbatch/pulumi-plugin.json").server,
    nodejs: (readJson("sdk/nodejs/package.json").pulumi as { server: string }).server,
  }).toEqual({ python: url, go: url, nodejs: url });
});

test("installed by --file into an empty PULUMI_HOME, it serves the plugin's schema to the engine", async () => {
  const built = await pluginTarball();
  cli = bareCli("plugin-exe", {}, { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY });
  expect(fs.readdirSync(cli.home)).toEqual([]);
  const install = await cli.pulumi(["plugin", "install", "resource", "sendgrid-batch", version, "--file", built.tarball]);
  expect(install.stderr).not.toMatch(/error/i);
  expect(install.code).toBe(0);
  const listed = await cli.pulumi(["plugin", "ls", "--json"]);
  expect((JSON.parse(listed.stdout) as { name: string; kind: string; version: string }[]).map((p) => [p.kind, p.name, p.version])).toEqual([
    ["resource", "sendgrid-batch", version],
  ]);
  const schema = await cli.pulumi(["package", "get-schema", `sendgrid-batch@${version}`]);
  expect(schema.code).toBe(0);
  expect(JSON.parse(schema.stdout)).toEqual(servedSchema());
});

test("a YAML program goes up, imports, refreshes and is destroyed through it, with no Node.js on PATH and no node_modules above", async () => {
  if (!cli) throw new Error("the --file install test runs first");
  const c = cli;
  expect(nodeModulesAbove(c.dir)).toEqual([]);
  expect(c.env.PATH.split(path.delimiter)).toHaveLength(1);
  expect(fs.readdirSync(c.env.PATH).filter((f) => /^node(\.exe)?$/.test(f))).toEqual([]);
  fs.writeFileSync(path.join(c.dir, "Pulumi.yaml"), yamlProgram("plugin-exe", ["first", "second"], { version }));
  await sg.admin.reset();
  const ok = async (args: string[]) => {
    const r = await c.pulumi(args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  await ok(["stack", "init", "dev"]);
  await ok(["config", "set", "sendgrid-batch:apiUrl", sg.url]);

  await ok(["up", "--yes", "--skip-preview"]);
  // Each paused batch: a batch id minted, then its status set.
  expect((await takeSendGridCalls(sg.admin)).sort()).toEqual([
    "POST /v3/mail/batch",
    "POST /v3/mail/batch",
    "POST /v3/user/scheduled_sends",
    "POST /v3/user/scheduled_sends",
  ]);

  const outside = await outOfBandBatch(sg.emulator, sg.admin, "pause");
  await takeSendGridCalls(sg.admin);
  const imported = await ok(["import", "sendgrid-batch:index:ScheduledBatch", "adopted", outside, "--yes", "--protect=false"]);
  expect(imported).toMatch(
    new RegExp(`adopted:\\n\\s+type: sendgrid-batch:ScheduledBatch\\n\\s+properties:\\n\\s+batchId: ${outside}\\n\\s+status: paused`),
  );
  expect(await takeSendGridCalls(sg.admin)).not.toContainEqual(expect.stringMatching(/^(POST|PATCH|DELETE) /));

  // Cancelled behind Pulumi's back: refresh reads it.
  const cancelled = await call(sg.emulator, "PATCH", `/v3/user/scheduled_sends/${outside}`, { body: { status: "cancel" } });
  expect(cancelled.status).toBe(204);
  await ok(["refresh", "--yes", "--skip-preview"]);
  const state = JSON.parse(await ok(["stack", "export"])) as {
    deployment: { resources: { type: string; outputs?: { batchId?: string; status?: string } }[] };
  };
  const batches = state.deployment.resources.filter((r) => r.type === "sendgrid-batch:index:ScheduledBatch").map((r) => r.outputs);
  expect(batches.find((o) => o?.batchId === outside)?.status).toBe("cancelled");
  expect(batches.map((o) => o?.status).sort()).toEqual(["cancelled", "paused", "paused"]);

  await takeSendGridCalls(sg.admin);
  await ok(["destroy", "--yes", "--skip-preview"]);
  const statuses = (await sg.admin.batches()).map((b) => b.status);
  expect(statuses).toEqual(["cancelled", "cancelled", "cancelled"]);
  // The plugin the engine ran is the installed executable: the only one it could find.
  expect(fs.readdirSync(path.join(c.home, "plugins")).filter((d) => d.startsWith("resource-") && !d.endsWith(".lock"))).toEqual([
    `resource-sendgrid-batch-v${version}`,
  ]);
});
