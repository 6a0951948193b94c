// The plugin with the lowest @pulumi/pulumi of its peer range (3.139.0, scripts/ensure-pulumi-sdk-lowest.sh)
// and the project's own (3.248.0), each installed beside the packaged plugin, through the real engine
// and a YAML program whose provider is configured with the emulator's URL and a subuser: `up` and
// `pulumi import` reach the configured account, which only the plugin's own Configure delivers
// (plugin/sdkServer.ts). And the refusal: with an SDK whose server registers its service another
// way (the shims cannot take effect), the plugin exits with a message instead of serving without
// its Configure.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { REPO_ROOT, ensurePulumiCli } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { PLUGIN_TYPE, pluginProject, type PluginProject } from "./support/pluginProject";
import { type PluginPackage, packageDirFrom, pluginWithSdk } from "./support/pluginWithSdk";

jest.setTimeout(600_000);

const sg = useEmulator();
const KEY = DEFAULT_EMULATOR_API_KEY;
const SUBUSER = "subuser-a";
const CREATE = "POST /v3/mail/batch";
const ADD_STATUS = "POST /v3/user/scheduled_sends";
const READ_STATUS = "GET /v3/user/scheduled_sends/{batch_id}";
const VALIDATE = "GET /v3/mail/batch/{batch_id}";

/** The lowest supported SDK, installed in the tool cache (npm test passes it as PULUMI_SDK_LOWEST). */
function lowestSdk(): string {
  const fromEnv = process.env.PULUMI_SDK_LOWEST;
  if (fromEnv) return fromEnv;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "ensure-pulumi-sdk-lowest.sh")], { encoding: "utf8" });
  const dir = out.trim().split("\n").pop() ?? "";
  process.env.PULUMI_SDK_LOWEST = dir;
  return dir;
}
const projectSdk = () => path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi");

/** The SendGrid requests since the last call, with the account they were made as; clears the log. */
async function takeRequests(): Promise<{ call: string; account: string | null; onBehalfOf: string | null }[]> {
  const log = await sg.admin.requests();
  await sg.admin.clearRequests();
  return log
    .filter((r) => r.path.startsWith("/v3/"))
    .map((r) => ({ call: `${r.method} ${r.route}`, account: r.account, onBehalfOf: r.onBehalfOf }));
}

describe.each([
  ["3.139.0", lowestSdk],
  ["3.248.0", projectSdk],
])("the plugin with @pulumi/pulumi %s, configured for a subuser", (version, sdkDir) => {
  let pkg: PluginPackage;
  let p: PluginProject;

  beforeAll(async () => {
    await sg.admin.reset();
    pkg = pluginWithSdk(sdkDir());
    // The account is the provider's configuration only: no SENDGRID_API_KEY in the environment.
    p = await pluginProject(
      `plugin-sdk-${version.replace(/\./g, "-")}`,
      { batches: {}, pluginDir: pkg.binDir },
      { config: { "sendgrid-batch:apiUrl": sg.url, "sendgrid-batch:onBehalfOf": SUBUSER }, secrets: { "sendgrid-batch:apiKey": KEY } },
    );
  });
  afterAll(async () => {
    await p?.dispose();
    pkg?.dispose();
  });

  test(`the packaged plugin loads @pulumi/pulumi ${version} and no other`, () => {
    const server = fs.realpathSync(pkg.resolve("@pulumi/pulumi/provider"));
    expect(server.startsWith(`${fs.realpathSync(sdkDir())}${path.sep}`)).toBe(true);
    expect(JSON.parse(fs.readFileSync(pkg.resolve("@pulumi/pulumi/package.json"), "utf8")).version).toBe(version);
  });

  test("up creates a paused batch as the configured subuser, at the configured apiUrl", async () => {
    await sg.admin.clearRequests();
    p.write({ batches: { a: { status: "paused" } }, pluginDir: pkg.binDir });
    const res = await p.s.stack.up();
    const id = String(res.outputs.a.value);
    const requests = await takeRequests();
    expect(requests.map((r) => r.call).sort()).toEqual([CREATE, ADD_STATUS].sort());
    for (const r of requests) expect([r.account, r.onBehalfOf]).toEqual([expect.any(String), SUBUSER]);
    const batch = (await sg.admin.batches()).find((b) => b.batch_id === id);
    expect([batch?.status, batch?.onBehalfOf]).toEqual(["paused", SUBUSER]);
  });

  test("pulumi import adopts the subuser's batch by id, reading it as the subuser", async () => {
    const made = await fetch(`${sg.url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "on-behalf-of": SUBUSER },
    });
    const { batch_id: batchId } = (await made.json()) as { batch_id: string };
    await sg.admin.clearRequests();

    const ws = p.s.stack.workspace;
    if (!(ws instanceof LocalWorkspace)) throw new Error("expected a LocalWorkspace");
    const args = ["import", PLUGIN_TYPE, "imported", batchId, "--yes", "--protect=false", "--non-interactive", "--stack", p.s.stack.name];
    await promisify(execFile)(path.join(ensurePulumiCli(), "pulumi"), args, { cwd: p.dir, env: { ...process.env, ...ws.envVars } });

    // Read once in the import's preview and once to import; an active batch: its status, then the batch.
    const requests = await takeRequests();
    expect(requests.map((r) => r.call)).toEqual([READ_STATUS, VALIDATE, READ_STATUS, VALIDATE]);
    for (const r of requests) expect([r.account, r.onBehalfOf]).toEqual([expect.any(String), SUBUSER]);
    const state = (await p.s.stack.exportStack()).deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::imported"));
    expect([state?.outputs.batchId, state?.outputs.status]).toEqual([batchId, "active"]);
  });
});

/**
 * A copy of the project's @pulumi/pulumi whose provider server registers the ResourceProvider
 * service another way (with grpc.Server's addService as it was when the server was loaded, before
 * the plugin's shim), and whose version reads 3.999.0: a future SDK the shims do not reach.
 */
function sdkRegisteringAnotherWay(): { dir: string; dispose: () => void } {
  const real = projectSdk();
  const top = fs.mkdtempSync(path.join(os.tmpdir(), "sg-sdk-stub-"));
  const dir = path.join(top, "node_modules", "@pulumi", "pulumi");
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(real)) {
    if (entry !== "provider" && entry !== "package.json") fs.symlinkSync(path.join(real, entry), path.join(dir, entry));
  }
  // provider/ is copied (a symlinked file requires its siblings from its real directory).
  fs.cpSync(path.join(real, "provider"), path.join(dir, "provider"), { recursive: true, dereference: true });
  const serverFile = path.join(dir, "provider", "server.js");
  const server = fs.readFileSync(serverFile, "utf8");
  const anotherWay = server.replace("server.addService(", "addServiceAsLoaded.call(server, ");
  if (anotherWay === server) throw new Error("the SDK's server.js no longer calls server.addService: update this stub");
  fs.writeFileSync(serverFile, `const addServiceAsLoaded = require("@grpc/grpc-js").Server.prototype.addService;\n${anotherWay}`);
  const pkgJson = JSON.parse(fs.readFileSync(path.join(real, "package.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkgJson, version: "3.999.0" }));
  // The server's bare requires, from the very directories the real server finds them in.
  for (const name of ["@grpc/grpc-js", "google-protobuf", "source-map-support"]) {
    const at = path.join(top, "node_modules", name);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(packageDirFrom(path.join(real, "provider", "server.js"), name), at, "dir");
  }
  return { dir, dispose: () => fs.rmSync(top, { recursive: true, force: true }) };
}

// The plugin started by the refusal test: stopped after it even when the test fails by timeout.
let started: ChildProcess | undefined;
afterEach(() => {
  started?.kill();
  started = undefined;
});

test("with an SDK whose server registers its service another way, the plugin refuses to start, naming the SDK version and the supported range", async () => {
  const stub = sdkRegisteringAnotherWay();
  const pkg = pluginWithSdk(stub.dir);
  const child = spawn(process.execPath, [path.join(pkg.binDir, "pulumi-resource-sendgrid-batch")], {
    env: { ...process.env, SENDGRID_API_KEY: KEY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started = child;
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(3);
    const { version, peerDependencies } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    const range = peerDependencies["@pulumi/pulumi"];
    expect(stderr).toContain(`pulumi-resource-sendgrid-batch ${version} refuses to start with @pulumi/pulumi 3.999.0`);
    expect(stderr).toContain(
      "registered the ResourceProvider service another way, without the plugin's own configure, checkConfig, diffConfig, diff",
    );
    expect(stderr).toContain(`Install a supported @pulumi/pulumi (${range})`);
  } finally {
    pkg.dispose();
    stub.dispose();
  }
}, 60_000);

test("through the engine, `pulumi up` with that SDK fails with the refusal and sends SendGrid nothing", async () => {
  await sg.admin.reset();
  const stub = sdkRegisteringAnotherWay();
  const pkg = pluginWithSdk(stub.dir);
  const p = await pluginProject(
    "plugin-sdk-refused",
    { batches: { a: { status: "paused" } }, pluginDir: pkg.binDir },
    { config: { "sendgrid-batch:apiUrl": sg.url, "sendgrid-batch:onBehalfOf": SUBUSER }, secrets: { "sendgrid-batch:apiKey": KEY } },
  );
  try {
    await expect(p.s.stack.up()).rejects.toThrow(
      /refuses to start with @pulumi\/pulumi 3\.999\.0: its provider server registered the ResourceProvider service another way/,
    );
    expect(await takeRequests()).toEqual([]);
  } finally {
    await p.dispose();
    pkg.dispose();
    stub.dispose();
  }
});
