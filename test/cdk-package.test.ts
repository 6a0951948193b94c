// The `./cdk` entry point as users get it from npm (`npm pack` of the build, unpacked into a
// project; needs `npm run build` and `npm run build:lambda`): it ships the handler bundle and
// synthesizes with it without @pulumi/pulumi (an optional peer, which npm does not install), and
// the package's other entry points need neither aws-cdk-lib nor constructs. Every entry point's
// types resolve under TypeScript's classic `node` module resolution too (typesVersions).

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PACKAGE_NAME, packedTarball, projectWithPackage } from "../scripts/lib/packedPackage";
import { REPO_ROOT } from "../scripts/lib/repoRoot";

type Manifest = {
  exports: Record<string, { types: string; default: string }>;
  scripts: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as Manifest;

function packedFiles(): string[] {
  return execFileSync("tar", ["tzf", packedTarball()], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""));
}

/** Compile `file` (written into the project) with the project's TypeScript under classic `node` module resolution. */
function compileClassic(project: { dir: string }, file: string, source: string) {
  fs.writeFileSync(path.join(project.dir, file), source);
  const args = ["--noEmit", "--strict", "--skipLibCheck", "--module", "commonjs", "--moduleResolution", "node", "--target", "es2022"];
  return spawnSync(
    process.execPath,
    [path.join(project.dir, "node_modules", "typescript", "bin", "tsc"), ...args, "--types", "node", "--traceResolution", file],
    {
      cwd: project.dir,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
}

/** tsc's errors, without its --traceResolution lines. */
const tscErrors = (stdout: string): string[] => stdout.split("\n").filter((l) => /error TS\d+/.test(l));

function run(project: { dir: string; env: Record<string, string> }, script: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["-e", script], {
    cwd: project.dir,
    env: { PATH: process.env.PATH ?? "", ...project.env, ...env },
    encoding: "utf8",
  });
}

test("the package ships the ./cdk entry point, the property rules it uses and the handler bundle it deploys", () => {
  const files = packedFiles();
  const cdk = manifest.exports["./cdk"];
  expect(cdk).toEqual({ types: "./dist/cdk/index.d.ts", default: "./dist/cdk/index.js" });
  for (const file of [cdk?.types, cdk?.default, "dist/core/keySource.js", "lambda/dist/index.js", "lambda/template.yaml"]) {
    expect(files).toContain(String(file).replace(/^\.\//, ""));
  }
  // The bundle is built before every pack and publish.
  expect(manifest.scripts.prepack).toMatch(/build:lambda/);
});

test("every peer is optional (a CDK app needs no Pulumi, a Pulumi program no CDK), pinned for the tests", () => {
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(["@pulumi/policy", "@pulumi/pulumi", "aws-cdk-lib", "constructs"]);
  for (const name of Object.keys(manifest.peerDependencies)) {
    expect(manifest.peerDependencies[name]).toMatch(/^\^/);
    expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
    expect(manifest.devDependencies[name]).toMatch(/^\d+\.\d+\.\d+$/);
  }
});

describe("installed without aws-cdk-lib and constructs", () => {
  let project: { dir: string; env: Record<string, string> };
  beforeAll(() => {
    project = projectWithPackage({ linked: false });
    for (const name of ["aws-cdk-lib", "constructs", "cdk-nag"]) fs.rmSync(path.join(project.dir, "node_modules", name));
  }, 120_000);
  afterAll(() => fs.rmSync(project.dir, { recursive: true, force: true }));

  test("every other entry point loads, and loads nothing of the CDK", () => {
    const others = Object.keys(manifest.exports)
      .filter((e) => e !== "./cdk" && e !== "./package.json")
      .map((e) => e.slice(1));
    expect(others).toEqual(expect.arrayContaining(["", "/plugin", "/runtime"]));
    const r = run(
      project,
      `for (const e of ${JSON.stringify(others)}) require("${PACKAGE_NAME}" + e);
       console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /aws-cdk-lib|constructs|[\\\\/]dist[\\\\/]cdk[\\\\/]/.test(f))));`,
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  test("TypeScript under classic `node` module resolution finds the types of the root, ./plugin, ./runtime and ./emulator", () => {
    const r = compileClassic(
      project,
      "pulumi-program.ts",
      `import { ScheduledBatch } from "${PACKAGE_NAME}";
       import { Provider, ScheduledBatch as PluginBatch } from "${PACKAGE_NAME}/plugin";
       import { check } from "${PACKAGE_NAME}/runtime";
       import { DEFAULT_EMULATOR_API_KEY, startEmulator } from "${PACKAGE_NAME}/emulator";
       export const used: unknown[] = [ScheduledBatch, Provider, PluginBatch, check, startEmulator, DEFAULT_EMULATOR_API_KEY.length];`,
    );
    expect(tscErrors(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
  });

  test("the ./cdk entry point says what is missing", () => {
    const r = run(project, `require("${PACKAGE_NAME}/cdk")`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot find module 'aws-cdk-lib'/);
  });
});

describe("installed with aws-cdk-lib and constructs, without @pulumi/pulumi (npm installs no optional peer)", () => {
  let project: { dir: string; env: Record<string, string> };
  beforeAll(() => {
    project = projectWithPackage({ linked: false });
    fs.rmSync(path.join(project.dir, "node_modules", "@pulumi"));
  }, 120_000);
  afterAll(() => fs.rmSync(project.dir, { recursive: true, force: true }));

  test("an app synthesizes with the bundle the package ships as the function's code, loading nothing of Pulumi", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cdk-pkg-out-"));
    const r = run(
      project,
      `const { App, Stack } = require("aws-cdk-lib");
       const { BatchStatus, ScheduledBatch, SendGridApiKey, SendGridBatchProvider } = require("${PACKAGE_NAME}/cdk");
       const app = new App();
       const stack = new Stack(app, "Packed");
       const provider = new SendGridBatchProvider(stack, "SendGrid", {
         apiKey: SendGridApiKey.fromSecretArn("arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf"),
       });
       new ScheduledBatch(stack, "Newsletter", { provider, status: BatchStatus.PAUSED });
       app.synth();
       let pulumi = "absent";
       try { require.resolve("@pulumi/pulumi"); pulumi = "installed"; } catch {}
       console.log(JSON.stringify({ pulumi, loaded: Object.keys(require.cache).filter((f) => /[\\/]@pulumi[\\/]/.test(f)) }));`,
      { CDK_OUTDIR: outdir },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ pulumi: "absent", loaded: [] });
    const [asset] = fs.readdirSync(outdir).filter((f) => f.startsWith("asset."));
    const shipped = path.join(project.dir, "node_modules", PACKAGE_NAME, "lambda", "dist", "index.js");
    expect(fs.readFileSync(path.join(outdir, asset as string, "index.js"))).toEqual(fs.readFileSync(shipped));
    const template = fs.readFileSync(path.join(outdir, "Packed.template.json"), "utf8");
    expect(template).toContain('"Type": "Custom::SendGridScheduledBatch"');
  });

  test("the plugin executable, which needs @pulumi/pulumi, says what to install instead of a stack trace", () => {
    const bin = path.join(project.dir, "node_modules", PACKAGE_NAME, "bin", "pulumi-resource-sendgrid-batch");
    const r = spawnSync(process.execPath, [bin], {
      cwd: project.dir,
      env: { PATH: process.env.PATH ?? "", ...project.env },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`pulumi-resource-sendgrid-batch needs @pulumi/pulumi (${manifest.peerDependencies["@pulumi/pulumi"]})`);
    expect(r.stderr).toContain("npm install -g pulumi-sendgrid-scheduled-batch @pulumi/pulumi");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("TypeScript under classic `node` module resolution finds the ./cdk types, which need no Pulumi types", () => {
    const r = compileClassic(
      project,
      "cdk-app.ts",
      `import { App, Stack } from "aws-cdk-lib";
       import { BatchStatus, ScheduledBatch, SendGridApiKey, SendGridBatchProvider } from "${PACKAGE_NAME}/cdk";
       const stack = new Stack(new App(), "Typed");
       const provider = new SendGridBatchProvider(stack, "SendGrid", { apiKey: SendGridApiKey.fromSecretArn("arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf") });
       export const batch = new ScheduledBatch(stack, "Newsletter", { provider, status: BatchStatus.PAUSED });`,
    );
    expect(tscErrors(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
    // No declaration the program reaches imports @pulumi/* (skipLibCheck would hide a missing one);
    // the trace names every module resolved, aws-cdk-lib among them.
    expect(r.stdout).toMatch(/Resolving module 'aws-cdk-lib'/);
    expect(r.stdout).not.toMatch(/Resolving module '@pulumi\//);
  });
});
