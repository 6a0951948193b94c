import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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

describe("the serialized provider stored in state", () => {
  let text = "";
  beforeAll(async () => {
    text = (await serializedProvider()).text;
  });

  test("is small (about 2.8 KB: seven one-line methods and the runtime loader, nothing captured)", () => {
    expect(text.length).toBeGreaterThan(200);
    expect(text.length).toBeLessThanOrEqual(2900);
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
