#!/usr/bin/env node
// Bundles the CloudFormation custom resource handler (lambda/index.ts) into one file,
// lambda/dist/index.js, for the nodejs22.x runtime (handler "index.handler").
// The AWS SDK v3 (@aws-sdk/*) stays external: the Lambda Node.js runtime provides it.
// esbuild does not type-check; `npx tsc -p tsconfig.json --noEmit` does that.
// Usage: node scripts/build-lambda.js [--outdir DIR] [--sourcemap] [--measure]
//   --measure: also time `require` of the bundle in 5 fresh Node processes (cold-start init; the
//              AWS SDK is loaded lazily, so it is not part of this) and print the median.

const path = require("node:path");
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
const os = require("node:os");
const esbuild = require("esbuild");

/** Median ms to require the bundle, each time in a fresh process, from a dir with no node_modules. */
function measureInit(outfile, runs = 5) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-init-"));
  fs.copyFileSync(outfile, path.join(dir, "index.js"));
  const probe = 'const t=process.hrtime.bigint();require("./index.js");process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const times = [];
  for (let i = 0; i < runs; i++) times.push(Number(execFileSync(process.execPath, ["-e", probe], { cwd: dir, encoding: "utf8" })));
  fs.rmSync(dir, { recursive: true, force: true });
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(runs / 2)], times };
}

// axios (inside @sendgrid/client) imports form-data for multipart bodies, and with it mime-types and
// mime-db (~140 KiB of the bundle). The handler only ever sends JSON, so form-data is replaced by a
// class that refuses to be used: a multipart body would fail loudly instead of silently.
const stubFormData = {
  name: "stub-form-data",
  setup(build) {
    build.onResolve({ filter: /^form-data$/ }, () => ({ path: "form-data", namespace: "stub" }));
    build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents:
        "module.exports = class FormData { constructor() { throw new Error('multipart bodies are not supported by this bundle'); } };",
      loader: "js",
    }));
  },
};

async function main() {
  const args = process.argv.slice(2);
  const root = path.resolve(__dirname, "..");
  const outdirArg = args.indexOf("--outdir");
  const outdir = outdirArg >= 0 ? path.resolve(args[outdirArg + 1]) : path.join(root, "lambda", "dist");
  const outfile = path.join(outdir, "index.js");
  fs.rmSync(outdir, { recursive: true, force: true });

  const result = await esbuild.build({
    entryPoints: [path.join(root, "lambda", "index.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: args.includes("--sourcemap"),
    external: ["@aws-sdk/*"],
    plugins: [stubFormData],
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });

  const bytes = fs.statSync(outfile).size;
  const inputs = Object.entries(result.metafile.outputs[path.relative(process.cwd(), outfile)]?.inputs ?? {})
    .map(([file, info]) => [file.replace(/^.*node_modules\//, "node_modules/"), info.bytesInOutput])
    .sort((a, b) => b[1] - a[1]);
  const packages = new Map();
  for (const [file, size] of inputs) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : "(project)";
    packages.set(key, (packages.get(key) ?? 0) + size);
  }
  console.log(`lambda bundle: ${path.relative(process.cwd(), outfile)} ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB, minified)`);
  for (const [name, size] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${name.padEnd(28)} ${(size / 1024).toFixed(1).padStart(7)} KiB`);
  }
  if (args.includes("--measure")) {
    const { median, times } = measureInit(outfile);
    console.log(
      `cold-start init (require in a fresh node ${process.version}): median ${median.toFixed(1)} ms of [${times.map((t) => t.toFixed(1)).join(", ")}]`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
