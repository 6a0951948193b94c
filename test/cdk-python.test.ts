// The jsii construct library (cdk-constructs/, built from cdk/ by scripts/ensure-cdk-constructs.sh)
// as a Python CDK user gets it: the wheel installs with pip into a fresh venv beside aws-cdk-lib at
// the library's floor from PyPI (scripts/ensure-cdk-python.sh), and examples/cdk-python, run as the
// aws-cdk CLI runs it (cdk.json's app command with CDK_OUTDIR), synthesizes the template the
// TypeScript example does, which cfn-lint and cdk-nag's AwsSolutions pack accept.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../scripts/lib/repoRoot";
import { STACK_NAME, type Template, cfnLint, cfnLintPath, idsOf, synthApp } from "./support/cdkApp";
import { ensuredTool } from "./support/ensuredTool";

const APP_DIR = path.join(REPO_ROOT, "examples", "cdk-python");
const BUNDLE = path.join(REPO_ROOT, "lambda", "dist", "index.js");
const DIST_NAME = "sendgrid-scheduled-batch-cdk";
const NODE_MAJOR = process.versions.node.split(".")[0] as string;

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).toString();

let tmp = "";
let build = "";
let venv = "";

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-cdk-python-"));
  cfnLintPath();
  build = ensuredTool("CDK_CONSTRUCTS", "ensure-cdk-constructs.sh");
  const cached = ensuredTool("CDK_PYTHON", "ensure-cdk-python.sh");
  // A throwaway venv that sees the cached one's packages (a .pth line), so the cache is never written.
  venv = path.join(tmp, "venv");
  run(cached, ["-m", "venv", "--without-pip", venv]);
  const sitePackages = (py: string) => run(py, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).trim();
  fs.writeFileSync(path.join(sitePackages(python()), "cdk-venv.pth"), `${sitePackages(cached)}\n`);
  // Offline, so every requirement of the wheel must be met by the cached venv's pins.
  run(cached, ["-m", "pip", "--python", python(), "install", "--quiet", "--no-index", wheel()]);
}, 1_800_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function python(): string {
  return path.join(venv, "bin", "python");
}

function wheel(): string {
  const dir = path.join(build, "dist", "python");
  const wheels = fs.readdirSync(dir).filter((f) => f.endsWith(".whl"));
  expect(wheels).toHaveLength(1);
  return path.join(dir, wheels[0] as string);
}

interface Synth {
  code: number | null;
  stderr: string;
  outdir: string;
  template?: Template;
}

/** cdk.json's app command in examples/cdk-python, with the venv first on PATH (as an activated venv). */
function synthPython(context: Record<string, string> = {}): Synth {
  const outdir = fs.mkdtempSync(path.join(tmp, "cdk-out-"));
  const app = (JSON.parse(fs.readFileSync(path.join(APP_DIR, "cdk.json"), "utf8")) as { app: string }).app;
  const r = spawnSync(app, {
    cwd: APP_DIR,
    shell: true,
    encoding: "utf8",
    env: {
      PATH: `${path.join(venv, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: process.env.HOME ?? tmp,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      // Python writes no __pycache__ into the example.
      PYTHONDONTWRITEBYTECODE: "1",
      // The jsii runtime's banner on Node.js 20 (past its end of life for jsii; it works) would be all of stderr.
      JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: NODE_MAJOR,
    },
  });
  const file = path.join(outdir, `${STACK_NAME}.template.json`);
  const template = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Template) : undefined;
  return { code: r.status, stderr: r.stderr, outdir, template };
}

describe("the construct library's build", () => {
  test("the npm tarball, the Python wheel, and the Java, .NET and Go sources, from one assembly with Construct Hub's keywords", () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(build, ".jsii"), "utf8")) as {
      name: string;
      version: string;
      keywords: string[];
      types: Record<string, { kind: string }>;
      dependencies: Record<string, string>;
      bundled?: Record<string, string>;
    };
    expect(assembly.name).toBe(DIST_NAME);
    // The library is released with the package whose constructs it carries, and the Python example pins that release.
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(assembly.version).toBe(version);
    expect(fs.readFileSync(path.join(APP_DIR, "requirements.txt"), "utf8")).toContain(`\n${DIST_NAME}==${version}\n`);
    expect(assembly.keywords).toEqual(expect.arrayContaining(["cdk", "awscdk", "construct"]));
    expect(Object.keys(assembly.types).sort()).toEqual(
      [
        "ApiKeyOptions",
        "BatchStatus",
        "ISendGridBatchProvider",
        "Region",
        "ScheduledBatch",
        "ScheduledBatchProperties",
        "ScheduledBatchProps",
        "SendGridApiKey",
        "SendGridBatchProvider",
        "SendGridBatchProviderProps",
      ].map((t) => `${DIST_NAME}.${t}`),
    );
    expect(assembly.types[`${DIST_NAME}.BatchStatus`]?.kind).toBe("enum");
    // Its only dependencies are its peers, at the CDK floor Python can install; nothing bundled.
    expect(assembly.dependencies).toEqual({ "aws-cdk-lib": "^2.275.0", constructs: "^10.5.0" });
    expect(assembly.bundled).toBeUndefined();
    const dist = path.join(build, "dist");
    const files = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const names = files(dist).map((f) => path.relative(dist, f));
    expect(names).toEqual(
      expect.arrayContaining([
        `js/${DIST_NAME}@0.1.0.jsii.tgz`,
        "python/sendgrid_scheduled_batch_cdk-0.1.0-py3-none-any.whl",
        "java/pom.xml",
        "dotnet/SendGridScheduledBatch.Cdk/SendGridScheduledBatch.Cdk.csproj",
        "go/sendgridbatchcdk/go.mod",
      ]),
    );
  });

  test("cdk-constructs/API.md is jsii-docgen's for the current constructs (regenerating changes nothing)", () => {
    expect(fs.readFileSync(path.join(REPO_ROOT, "cdk-constructs", "API.md"), "utf8")).toBe(
      fs.readFileSync(path.join(build, "API.md"), "utf8"),
    );
  });

  test("the npm tarball (also inside the wheel) ships the handler bundle of lambda/dist, and the core's rules without its SendGrid client", () => {
    const tarball = path.join(build, "dist", "js", `${DIST_NAME}@0.1.0.jsii.tgz`);
    const listing = run("tar", ["-tzf", tarball]).split("\n");
    expect(listing).toEqual(
      expect.arrayContaining(["package/lambda/dist/index.js", "package/lib/cdk/index.js", "package/lib/core/validate.js", "package/.jsii"]),
    );
    expect(listing.filter((f) => f.startsWith("package/node_modules/") || f === "package/lib/core/client.js")).toEqual([]);
    const shipped = run("tar", ["-xzOf", tarball, "package/lambda/dist/index.js"]);
    expect(shipped).toBe(fs.readFileSync(BUNDLE, "utf8"));
    const inWheel = run("python3", [
      "-c",
      "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
      wheel(),
    ]).split("\n");
    expect(inWheel).toContain(`sendgrid_scheduled_batch_cdk/_jsii/${DIST_NAME}@0.1.0.jsii.tgz`);
  });
});

describe("pip install and the Python example", () => {
  let synth: Synth;
  beforeAll(() => {
    synth = synthPython();
  }, 600_000);

  test("the wheel's requirements are met by aws-cdk-lib 2.275.0 (its floor) and constructs from PyPI: pip check passes", () => {
    const versions = JSON.parse(
      run(python(), [
        "-c",
        "import importlib.metadata as m, json; print(json.dumps([m.version(p) for p in ('sendgrid-scheduled-batch-cdk', 'aws-cdk-lib')]))",
      ]),
    );
    expect(versions).toEqual(["0.1.0", "2.275.0"]);
    const where = run(python(), ["-c", "import sendgrid_scheduled_batch_cdk as p; print(p.__file__)"]).trim();
    expect(where.startsWith(venv)).toBe(true);
    run(python(), ["-m", "pip", "check"], { env: { ...process.env, PYTHONPATH: "" } });
  });

  test("cdk.json's app command writes the cloud assembly: the template and the handler bundle as its one asset", () => {
    expect(synth.stderr).toBe("");
    expect(synth.code).toBe(0);
    const assets = fs.readdirSync(synth.outdir).filter((f) => f.startsWith("asset."));
    expect(assets).toHaveLength(1);
    const assetDir = path.join(synth.outdir, assets[0] as string);
    expect(fs.readdirSync(assetDir)).toEqual(["index.js"]);
    expect(fs.readFileSync(path.join(assetDir, "index.js"))).toEqual(fs.readFileSync(BUNDLE));
  });

  test("two batches served by one function, no managed policy, and no wildcard but the function's log streams and its account's stacks", () => {
    const template = synth.template as Template;
    const [fn, ...more] = idsOf(template, "AWS::Lambda::Function");
    expect(more).toEqual([]);
    const batches = idsOf(template, "Custom::SendGridScheduledBatch");
    expect(batches).toHaveLength(2);
    for (const id of batches) expect(template.Resources[id]?.Properties.ServiceToken).toEqual({ "Fn::GetAtt": [fn, "Arn"] });
    expect(batches.map((id) => template.Resources[id]?.Properties.Status)).toEqual(["paused", "active"]);
    const [role] = idsOf(template, "AWS::IAM::Role");
    expect(template.Resources[role as string]?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(idsOf(template, "AWS::IAM::ManagedPolicy")).toEqual([]);
    // Every "*" in a policy document is the log stream's name in the function's own log group, or
    // the stacks of its account and Region whose resources it may list (ListStackResources).
    const wildcards = JSON.stringify(template.Resources[role as string]?.Properties.Policies).match(/[^"]*\*[^"]*/g);
    expect(wildcards).toEqual([":log-stream:*", ":stack/*/*"]);
  });

  test("parity: the same template as the TypeScript example (examples/cdk), resource for resource", () => {
    const ts = synthApp();
    expect(ts.code).toBe(0);
    // CDK's analytics (which construct libraries made the stack) are the only difference allowed.
    const shape = (t: Template) => {
      const { CDKMetadata: _metadata, ...resources } = t.Resources;
      const { CDKMetadataAvailable: _available, ...conditions } = (t as { Conditions?: Record<string, unknown> }).Conditions ?? {};
      return { ...t, Resources: resources, Conditions: conditions };
    };
    expect(shape(synth.template as Template)).toEqual(shape(ts.template as Template));
  });

  test("cfn-lint finds nothing in the Python app's template", () => {
    const file = path.join(synth.outdir, `${STACK_NAME}.template.json`);
    const lint = cfnLint(file);
    expect(lint.output).toBe("");
    expect(lint.code).toBe(0);
  });

  test("cdk-nag's AwsSolutions pack (Python) finds nothing unacknowledged; the constructs' three acknowledgements crossed jsii", () => {
    const script = path.join(__dirname, "cdk-python", "nag.py");
    const out = JSON.parse(
      run(python(), [script], {
        cwd: APP_DIR,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: NODE_MAJOR },
      }),
    ) as {
      violations: unknown[];
      acknowledged: string[];
      synthesized: boolean;
    };
    expect(out.violations).toEqual([]);
    expect(out.synthesized).toBe(true);
    expect(out.acknowledged.map((id) => id.replace(/\[.*\]$/, "[…]"))).toEqual([
      "AwsSolutions-IAM5[…]",
      "AwsSolutions-IAM5[…]",
      "AwsSolutions-L1",
    ]);
  });

  test("with sendgrid:serviceToken, the batches use that function (fromServiceToken): no function, role or log group", () => {
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch";
    const imported = synthPython({ "sendgrid:serviceToken": arn });
    expect(imported.stderr).toBe("");
    const template = imported.template as Template;
    for (const type of ["AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::Lambda::EventInvokeConfig"]) {
      expect(idsOf(template, type)).toEqual([]);
    }
    const batches = idsOf(template, "Custom::SendGridScheduledBatch");
    expect(batches).toHaveLength(2);
    for (const id of batches) expect(template.Resources[id]?.Properties.ServiceToken).toBe(arn);
    expect(fs.readdirSync(imported.outdir).filter((f) => f.startsWith("asset."))).toEqual([]);
  });

  test("a props error fails the Python synth with the core's words, naming the construct", () => {
    const bad = synthPython({ "sendgrid:apiUrl": "http://api.example.com" });
    expect(bad.code).not.toBe(0);
    expect(bad.template).toBeUndefined();
    expect(bad.stderr).toMatch(/\[SendGridBatches\/Newsletter\] apiUrl/);
  });
});
