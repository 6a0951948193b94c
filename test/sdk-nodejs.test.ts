// The generated Node.js SDK (sdk/nodejs) compiles with its own tsconfig, and under Pulumi's mocks
// sends the same wire as the hand-written classes this package ships (plugin/index.ts, the
// `./plugin` entry point), which stay the Node.js way in (README: "From Python" / "From Go").
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as plugin from "../plugin";
import { REPO_ROOT } from "../scripts/lib/engine";
import { expectedWire, normalise, type Registration, SCENARIO, SDK_VERSION } from "./support/sdkWire";

/** The parts of the generated SDK the scenario uses (loaded from its compiled JavaScript). */
interface GeneratedSdk {
  Provider: new (name: string, args: Record<string, unknown>) => pulumi.ProviderResource;
  ScheduledBatch: new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
  BatchStatus: { Paused: string; Cancelled: string };
  Region: { Eu: string };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProvider(): string;
  getVersion(): string;
  getAdditionalsecretoutputsList(): string[];
}

/** Runs `program` under fresh mocks and returns every RegisterResource request it made. */
async function wireOf(program: () => pulumi.Resource[]): Promise<Registration[]> {
  await pulumi.runtime.setMocks(
    { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) },
    "sdk",
    "test",
    false,
  );
  const sent: Registration[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    sent.push({
      type: req.getType(),
      name: req.getName(),
      object: req.getObject()?.toJavaScript() ?? {},
      provider: req.getProvider(),
      version: req.getVersion(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return original(req, cb);
  };
  const resources = program();
  await Promise.all(resources.map((r) => new Promise<void>((resolve) => r.urn.apply(() => resolve()))));
  return normalise(sent);
}

let buildDir = "";
let generated: GeneratedSdk;

beforeAll(() => {
  // Inside node_modules/ so the compiled SDK resolves @pulumi/pulumi as this package does (one copy).
  fs.mkdirSync(path.join(REPO_ROOT, "node_modules", ".cache"), { recursive: true });
  buildDir = fs.mkdtempSync(path.join(REPO_ROOT, "node_modules", ".cache", "sdk-nodejs-"));
});
afterAll(() => fs.rmSync(buildDir, { recursive: true, force: true }));

test("the generated Node.js SDK compiles with its own tsconfig (strict)", () => {
  const sdk = path.join(REPO_ROOT, "sdk", "nodejs");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(sdk, "tsconfig.json"), "--outDir", buildDir], {
    stdio: "pipe",
  });
  // As the SDK's own build does: utilities.getVersion() reads the package.json beside the output.
  fs.copyFileSync(path.join(sdk, "package.json"), path.join(buildDir, "package.json"));
  generated = require(path.join(buildDir, "index.js")) as GeneratedSdk;
  expect(Object.keys(generated)).toEqual(expect.arrayContaining(["Provider", "ScheduledBatch", "BatchStatus", "Region"]));
});

test("the generated SDK and the TypeScript classes send the same wire; the SDK also asks for the plugin's version", async () => {
  const handWritten = await wireOf(() => {
    const eu = new plugin.Provider("eu", {
      apiKey: SCENARIO.apiKey,
      region: "eu",
      onBehalfOf: SCENARIO.onBehalfOf,
      apiUrl: SCENARIO.apiUrl,
    });
    return [
      eu,
      new plugin.ScheduledBatch(
        "newsletter",
        { status: "paused", sendAt: SCENARIO.sendAtSeconds, batchId: SCENARIO.batchId },
        { provider: eu },
      ),
      new plugin.ScheduledBatch("digest", { status: "cancelled", sendAt: SCENARIO.sendAtIso }),
    ];
  });
  expect(handWritten).toEqual(expectedWire(""));

  const sdk = generated;
  const fromSdk = await wireOf(() => {
    const eu = new sdk.Provider("eu", {
      apiKey: SCENARIO.apiKey,
      region: sdk.Region.Eu,
      onBehalfOf: SCENARIO.onBehalfOf,
      apiUrl: SCENARIO.apiUrl,
    });
    return [
      eu,
      new sdk.ScheduledBatch(
        "newsletter",
        { status: sdk.BatchStatus.Paused, sendAt: SCENARIO.sendAtSeconds, batchId: SCENARIO.batchId },
        { provider: eu },
      ),
      new sdk.ScheduledBatch("digest", { status: sdk.BatchStatus.Cancelled, sendAt: SCENARIO.sendAtIso }),
    ];
  });
  expect(fromSdk).toEqual(expectedWire(SDK_VERSION));
});
