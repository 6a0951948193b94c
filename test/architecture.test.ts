// The direction of dependencies: program → adapter → core → @sendgrid/client (the two Pulumi
// adapters through their one lifecycle, pulumi/, which knows no adapter). The core knows
// nothing of Pulumi or AWS; the Lambda and the CLI reach SendGrid only through the core; the
// emulator shares nothing with the core but SendGrid's wire definitions.
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.startsWith("dist"))
    .map((f) => path.join(dir, f));
}

/** Every module a file imports or requires: repo paths ("./x" resolved) and package names. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:from\s+|require\(|import\(|import\s+)\s*["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith(".") ? `./${path.normalize(path.join(path.dirname(file), s))}` : s));
}

test("the core imports neither Pulumi, AWS, the adapters nor the emulator", () => {
  const offending = sources("core").flatMap((f) =>
    importsOf(f)
      .filter((i) =>
        i.startsWith("./")
          ? !i.startsWith("./core/")
          : !i.startsWith("node:") && i !== "@sendgrid/client" && !i.startsWith("@sendgrid/client/"),
      )
      .map((i) => `${f} → ${i}`),
  );
  expect(offending).toEqual([]);
});

test("the Lambda and the CLI reach SendGrid only through the core", () => {
  const offending = [...sources("lambda"), ...sources("cli")].flatMap((f) =>
    importsOf(f)
      .filter((i) => i.startsWith("./provider") || i.startsWith("./emulator") || i.startsWith("@sendgrid/") || i.startsWith("@pulumi/"))
      .map((i) => `${f} → ${i}`),
  );
  expect(offending).toEqual([]);
});

/** The names a file imports from `module` (a repo path, as importsOf gives it), `type` or not. */
function namesImportedFrom(file: string, module: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)]
    .filter((m) => `./${path.normalize(path.join(path.dirname(file), m[2]))}` === module)
    .flatMap((m) => m[1].split(","))
    .map(
      (n) =>
        n
          .trim()
          .replace(/^type\s+/, "")
          .split(/\s+as\s+/)[0],
    )
    .filter((n) => n !== "");
}

/**
 * Where `files` reach what `module` (a core file) exports, matched by `exported`: by importing the
 * file, or by name through the core's index (core/index.ts re-exports it).
 */
function reachesExportsOf(files: string[], module: string, exported: RegExp, expected: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, `${module}.ts`), "utf8");
  const names = new Set([...text.matchAll(exported)].map((m) => m[1]));
  expect(names).toContain(expected);
  return files.flatMap((f) => [
    ...importsOf(f)
      .filter((i) => i === `./${module}`)
      .map((i) => `${f} → ${i}`),
    ...["./core", "./core/index"].flatMap((m) =>
      namesImportedFrom(f, m)
        .filter((n) => names.has(n))
        .map((n) => `${f} → ${n}`),
    ),
  ]);
}

test("the Lambda runs the core's lifecycle (core/lifecycle.ts), never the batch operations under it (core/batches.ts)", () => {
  // Create/adopt, update and delete are the core's, shared by every adapter; the Lambda keeps only
  // CloudFormation's shapes. Checked by name too: core/index.ts re-exports batches.ts.
  const batchLevel = /^export\s+(?:async\s+)?(?:function|class|const|type|interface)\s+(\w+)/gm;
  expect(reachesExportsOf(sources("lambda"), "core/batches", batchLevel, "createBatch")).toEqual([]);
});

const ADAPTERS = ["provider", "plugin", "lambda", "cli", "policy", "cdk"] as const;

test("no adapter imports another: what two adapters share lives in the core", () => {
  // An adapter folder may import the core and itself. Sharing through another adapter would make
  // one ship (and break with) the other: the CDK constructs once loaded the Lambda's property parser.
  const offending = ADAPTERS.flatMap((dir) =>
    sources(dir).flatMap((f) =>
      importsOf(f)
        .filter((i) => ADAPTERS.some((other) => other !== dir && (i === `./${other}` || i.startsWith(`./${other}/`))))
        .map((i) => `${f} → ${i}`),
    ),
  );
  expect(offending).toEqual([]);
});

test("the Pulumi adapter reaches SendGrid only through the core, and shares only the Pulumi lifecycle with the plugin", () => {
  const offending = sources("provider").flatMap((f) =>
    importsOf(f)
      .filter(
        (i) =>
          i.startsWith("./lambda") ||
          i.startsWith("./cli") ||
          i.startsWith("./emulator") ||
          i.startsWith("./plugin") ||
          i.startsWith("@sendgrid/"),
      )
      .map((i) => `${f} → ${i}`),
  );
  expect(offending).toEqual([]);
});

test("the Pulumi lifecycle (pulumi/) imports only the core: no Pulumi SDK (the dynamic provider's host loads it by name), no adapter", () => {
  const offending = sources("pulumi").flatMap((f) =>
    importsOf(f)
      .filter((i) => (i.startsWith("./") ? !i.startsWith("./core") && !i.startsWith("./pulumi/") : !i.startsWith("node:")))
      .map((i) => `${f} → ${i}`),
  );
  expect(sources("pulumi")).toContain(path.join("pulumi", "lifecycle.ts"));
  expect(offending).toEqual([]);
});

test("both Pulumi adapters run the one Pulumi lifecycle (pulumi/lifecycle.ts), never the core's lifecycle steps under it", () => {
  // check, diff, create/read/update/delete and what state records are pulumi/lifecycle.ts's; the
  // dynamic provider and the plugin only say where the account comes from.
  const steps = /^export\s+(?:async\s+)?(?:function|class)\s+(\w+)/gm;
  const adapters = [...sources("provider"), ...sources("plugin")];
  expect(reachesExportsOf(adapters, "core/lifecycle", steps, "provision")).toEqual([]);
  const users = adapters.filter((f) => importsOf(f).includes("./pulumi/lifecycle"));
  expect(users).toEqual(expect.arrayContaining([path.join("provider", "runtime.ts"), path.join("plugin", "resource.ts")]));
});

test("the CDK constructs reach SendGrid only through the core, and share the handler's rules only through the core", () => {
  // cdk/ writes the properties the handler reads: it may use the core's rules (the property table,
  // validation, the key source's shape in core/keySource.ts), never the handler, a client or another adapter.
  const offending = sources("cdk").flatMap((f) =>
    importsOf(f)
      .filter((i) =>
        i.startsWith("./")
          ? !i.startsWith("./cdk/") && !i.startsWith("./core/")
          : !i.startsWith("node:") && i !== "aws-cdk-lib" && !i.startsWith("aws-cdk-lib/") && i !== "constructs",
      )
      .map((i) => `${f} → ${i}`),
  );
  expect(offending).toEqual([]);
});

test("only the CDK constructs and their example load aws-cdk-lib, so the other entry points never need it", () => {
  const offending = ["core", "pulumi", "provider", "plugin", "lambda", "cli", "policy", "emulator"].flatMap((dir) =>
    sources(dir).flatMap((f) =>
      importsOf(f)
        .filter((i) => i === "aws-cdk-lib" || i.startsWith("aws-cdk-lib/") || i === "constructs" || i.startsWith("./cdk"))
        .map((i) => `${f} → ${i}`),
    ),
  );
  expect(offending).toEqual([]);
});

test("the emulator shares only SendGrid's wire definitions with the core", () => {
  const shared = new Set(
    sources("emulator").flatMap((f) =>
      importsOf(f).filter((i) => i.startsWith("./core") || i.startsWith("./provider") || i.startsWith("./lambda") || i.startsWith("./cli")),
    ),
  );
  expect([...shared]).toEqual(["./core/wire"]);
});

test("the Pulumi adapter's serialized methods require only the package runtime", () => {
  const text = fs.readFileSync(path.join(ROOT, "provider/scheduledBatch.ts"), "utf8");
  const required = new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
  expect([...required]).toEqual(["pulumi-sendgrid-scheduled-batch/runtime"]);
});
