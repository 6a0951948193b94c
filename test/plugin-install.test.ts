// How the engine gets the plugin once a release exists, offline: the built tarball served from a
// loopback server laid out like the repository's GitHub release download. Into an empty PULUMI_HOME
// each time, with only the CLI's bin folder on PATH:
//  - `pulumi plugin install resource sendgrid-batch <version> --server <that release>` installs it;
//  - a Pulumi YAML program with no `plugins:` block, whose resources ask for the plugin as the SDKs'
//    do (version + the schema's pluginDownloadURL), has it installed automatically, the download
//    pointed at the loopback server by PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES (the override matches
//    only that pluginDownloadURL), and runs up → refresh → destroy against the emulator.
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { sendgridBatchProvider } from "../plugin/provider";
import * as pkg from "../package.json";
import { takeSendGridCalls, useEmulator } from "./support/emulator";
import {
  type BareCli,
  bareCli,
  disposePluginTarball,
  pluginTarball,
  type ReleaseServer,
  serveRelease,
  yamlProgram,
} from "./support/pluginRelease";

jest.setTimeout(600_000);

const sg = useEmulator();
const { version } = pkg;
const pluginDownloadURL = (JSON.parse(sendgridBatchProvider(pkg).provider.schema ?? "") as { pluginDownloadURL: string }).pluginDownloadURL;
let release: ReleaseServer;
let tarballName = "";
const clis: BareCli[] = [];

beforeAll(async () => {
  const built = await pluginTarball();
  tarballName = path.basename(built.tarball);
  release = await serveRelease(version, [built.tarball, built.checksum]);
}, 900_000);
afterAll(async () => {
  await release?.close();
  for (const c of clis) c.dispose();
  disposePluginTarball();
});

const installed = (c: BareCli) =>
  fs.readdirSync(path.join(c.home, "plugins")).filter((d) => d.startsWith("resource-") && !d.endsWith(".lock"));

test("pulumi plugin install --server <the release> installs it into an empty PULUMI_HOME", async () => {
  const c = bareCli("plugin-install-server", {});
  clis.push(c);
  expect(fs.readdirSync(c.home)).toEqual([]);
  release.requests.length = 0;
  const r = await c.pulumi(["plugin", "install", "resource", "sendgrid-batch", version, "--server", release.downloadBase]);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  expect(release.requests).toEqual([
    `/${pkg.repository.url.replace(/^.*github\.com\/|\.git$/g, "")}/releases/download/v${version}/${tarballName}`,
  ]);
  expect(installed(c)).toEqual([`resource-sendgrid-batch-v${version}`]);
  const listed = await c.pulumi(["plugin", "ls", "--json"]);
  expect((JSON.parse(listed.stdout) as { name: string; version: string }[]).map((p) => `${p.name}@${p.version}`)).toEqual([
    `sendgrid-batch@${version}`,
  ]);
});

test("a YAML program whose resources ask for the plugin as the SDKs do has it installed automatically, then up → refresh → destroy", async () => {
  // The override names the schema's pluginDownloadURL exactly: without it (or with another URL in
  // the program) the engine would go to GitHub and fail.
  const override = `^${pluginDownloadURL.replace(/[.]/g, "\\.")}$=${release.url}/${pluginDownloadURL.replace("github://api.github.com/", "")}/releases/download/v\${VERSION}`;
  const c = bareCli(
    "plugin-install-auto",
    { "Pulumi.yaml": yamlProgram("plugin-install-auto", ["first", "second"], { version, pluginDownloadURL }) },
    { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY, PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: override },
  );
  clis.push(c);
  expect(fs.readdirSync(c.home)).toEqual([]);
  const ok = async (args: string[]) => {
    const r = await c.pulumi(args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  await ok(["stack", "init", "dev"]);
  await ok(["config", "set", "sendgrid-batch:apiUrl", sg.url]);
  await sg.admin.reset();
  release.requests.length = 0;

  await ok(["up", "--yes", "--skip-preview"]);
  expect(release.requests.filter((r) => r.endsWith(".tar.gz"))).toEqual([
    `/${pluginDownloadURL.replace("github://api.github.com/", "")}/releases/download/v${version}/${tarballName}`,
  ]);
  expect(installed(c)).toEqual([`resource-sendgrid-batch-v${version}`]);
  expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["paused", "paused"]);

  await takeSendGridCalls(sg.admin);
  await ok(["refresh", "--yes", "--skip-preview"]);
  expect(await takeSendGridCalls(sg.admin)).not.toContainEqual(expect.stringMatching(/^(POST|PATCH|DELETE) /));

  await ok(["destroy", "--yes", "--skip-preview"]);
  expect((await sg.admin.batches()).map((b) => b.status)).toEqual(["cancelled", "cancelled"]);
  // Downloaded once: refresh and destroy used the installed plugin.
  expect(release.requests.filter((r) => r.endsWith(".tar.gz"))).toHaveLength(1);
});
