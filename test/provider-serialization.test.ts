import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectWithPackage } from "../scripts/lib/packedPackage";

// What Pulumi stores in state as `__provider`: the closure serializer's text of the provider.
async function serializedProvider(): Promise<pulumi.runtime.SerializedFunction> {
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
      captured = String(args.inputs.__provider);
      return { id: "id", state: args.inputs };
    },
    call: (args) => args.inputs,
  };
  let captured = "";
  pulumi.runtime.setMocks(mocks, "proj", "stack", false);
  process.env.SENDGRID_API_KEY = "SG.must-never-be-serialized-0123456789";
  const { ScheduledBatch } = await import("../provider");
  const b = new ScheduledBatch("b", { status: "paused" });
  await new Promise<void>((resolve) => b.urn.apply(() => resolve()));
  return { text: captured, exportName: "handler", containsSecrets: false };
}

describe("the serialized provider stored in state, from this checkout (run from source)", () => {
  let text = "";
  beforeAll(async () => {
    text = (await serializedProvider()).text;
  });

  test("is small (about 2.5 KB: seven one-line delegations and the runtime loader, nothing captured)", () => {
    expect(text.length).toBeGreaterThan(200);
    expect(text.length).toBeLessThanOrEqual(2600);
  });

  test("contains no API key or environment value", () => {
    expect(text).not.toContain("SG.must-never-be-serialized");
    expect(text).not.toMatch(/SG\.[A-Za-z0-9_-]{10,}/);
  });

  test("only requires the package runtime by name", () => {
    const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(["pulumi-sendgrid-scheduled-batch/runtime"]));
  });

  test("when the package is gone from the program's directory, says to reinstall it to update or delete the resources", () => {
    // A program directory without node_modules: the package was removed before its resources.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-ser-gone-"));
    fs.writeFileSync(path.join(dir, "provider.js"), text);
    const loader = require.resolve("require-from-string");
    const script = `
      const code = require("fs").readFileSync(${JSON.stringify(path.join(dir, "provider.js"))}, "utf8");
      const p = require(${JSON.stringify(loader)})(code).handler();
      p.delete("SomeBatchId000000", {}).then(() => console.log("deleted"), (e) => console.log(e.message));`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: dir, env: { ...process.env, SENDGRID_API_KEY: "SG.x" } }).toString();
    expect(out.trim()).toMatch(
      /^Error: Cannot find module 'pulumi-sendgrid-scheduled-batch\/runtime': reinstall pulumi-sendgrid-scheduled-batch to update or delete its resources$/,
    );
  });

  test("loads in a fresh process whose cwd has the package installed, and validates", () => {
    // As Pulumi's dynamic-provider host does: require-from-string, resolving from the program's cwd.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-ser-"));
    fs.writeFileSync(path.join(dir, "provider.js"), text);
    const script = `
      const code = require("fs").readFileSync(${JSON.stringify(path.join(dir, "provider.js"))}, "utf8");
      const p = require("require-from-string")(code).handler();
      p.check({}, { status: "sleeping" }).then((r) => console.log(JSON.stringify(r.failures)));`;
    const out = execFileSync(process.execPath, ["-e", script], {
      cwd: path.resolve(__dirname, ".."),
      env: { ...process.env, SENDGRID_API_KEY: "SG.x" },
    }).toString();
    expect(JSON.parse(out)).toEqual([
      { property: "status", reason: expect.stringContaining('must be one of "active", "paused", "cancelled"') },
    ]);
  });
});

// The package as users get it: `npm pack`, unpacked into a project (needs `npm run build`). The
// provider is serialized in a fresh Node process of that project, with the SDK's mocks.
const SERIALIZE = `
const pulumi = require("@pulumi/pulumi");
let text = "";
pulumi.runtime.setMocks({ newResource: (a) => { text = String(a.inputs.__provider); return { id: "id", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
const { ScheduledBatch } = require("pulumi-sendgrid-scheduled-batch");
new ScheduledBatch("b", { status: "paused" }).urn.apply(() => setImmediate(() => process.stdout.write(text)));`;

// As the dynamic-provider host loads it: require-from-string, resolving from the working directory.
const CHECK = `
const code = require("fs").readFileSync(process.argv[1], "utf8");
const p = require("require-from-string")(code).handler();
p.check({}, { status: "sleeping" }).then((r) => console.log(JSON.stringify(r.failures)));`;

function inProject(project: { dir: string; env: Record<string, string> }, script: string, ...args: string[]): string {
  return execFileSync(process.execPath, ["-e", script, ...args], {
    cwd: project.dir,
    env: { PATH: process.env.PATH ?? "", SENDGRID_API_KEY: "SG.x", ...project.env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const requiresOf = (text: string) => [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);

describe.each([
  ["installed in node_modules", false],
  ["linked (npm link, file:)", true],
])("the serialized provider of the packed package, %s", (_name, linked) => {
  let project: { dir: string; env: Record<string, string> };
  let text = "";
  beforeAll(() => {
    project = projectWithPackage({ linked });
    text = inProject(project, SERIALIZE);
  }, 120_000);
  afterAll(() => fs.rmSync(project.dir, { recursive: true, force: true }));

  if (!linked) {
    test("is a single require of the runtime module (about 0.3 KB)", () => {
      expect(requiresOf(text)).toEqual(["pulumi-sendgrid-scheduled-batch/runtime"]);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(400);
    });
  } else {
    test("falls back to the object literal, whose methods require the runtime by name (not the module by value)", () => {
      expect(requiresOf(text)).toEqual(["pulumi-sendgrid-scheduled-batch/runtime"]);
      expect(text).toMatch(/configure: __f\d+, check: __f\d+, diff: __f\d+, create: __f\d+, read: __f\d+, update: __f\d+, delete: __f\d+/);
      expect(Buffer.byteLength(text)).toBeGreaterThan(1500);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2600);
    });
  }

  test("loads where the package is installed, and validates", () => {
    const file = path.join(project.dir, "provider.js");
    fs.writeFileSync(file, text);
    expect(JSON.parse(inProject(project, CHECK, file))).toEqual([
      { property: "status", reason: expect.stringContaining('must be one of "active", "paused", "cancelled"') },
    ]);
  });

  test("names the missing package where it is not installed", () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), "sg-bare-"));
    fs.writeFileSync(path.join(bare, "provider.js"), text);
    fs.symlinkSync(path.join(project.dir, "node_modules", "require-from-string"), path.join(bare, "require-from-string"));
    const script = CHECK.replace('require("require-from-string")', 'require("./require-from-string")');
    let message = "";
    try {
      inProject({ dir: bare, env: project.env }, script, path.join(bare, "provider.js"));
    } catch (err) {
      message = String((err as { stderr?: string }).stderr);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
    expect(message).toContain("Cannot find module 'pulumi-sendgrid-scheduled-batch/runtime'");
  });
});
