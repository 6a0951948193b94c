// The CloudFormation Lambda: bundle size (fresh build of the current sources), cold-start init
// (require of the bundle in a fresh process whose NODE_PATH holds only @aws-sdk/*, as the Lambda
// runtime provides), warm invocation times and SendGrid requests per CloudFormation event, with the
// Lambda tests' surroundings (scripts/lib/lambdaHarness.ts).

import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../../emulator";
import { buildBundle, sdkOnlyNodePath } from "../lib/lambdaBundle";
import { SECRET_ARN, STACK_ID, awsEnv, bundleDir, runBundle, startFakeAws, startResponseServer } from "../lib/lambdaHarness";
import { type BenchContext, type Result, coldRequire, log, median, percentile, round, sendGridCalls } from "./util";

type Event = Record<string, unknown>;

const TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch";

function eventsFor(responseUrl: string, apiUrl: string) {
  const props = (Status: string, extra = {}) => ({
    ServiceToken: TOKEN,
    ServiceTimeout: "300",
    ApiKeySecretArn: SECRET_ARN,
    ApiUrl: apiUrl,
    Status,
    ...extra,
  });
  let seq = 0;
  const base = (RequestType: string, ResourceProperties: Record<string, string>): Event => ({
    ...{ RequestType, ResponseURL: responseUrl, StackId: STACK_ID, RequestId: `bench-${++seq}`, ServiceToken: TOKEN },
    ...{ LogicalResourceId: "Batch", ResourceType: "Custom::SendGridScheduledBatch", ResourceProperties },
  });
  return {
    create: (status: string) => base("Create", props(status)),
    update: (id: string, from: string, to: string, extra?: Record<string, string>) => ({
      ...base("Update", props(to, extra)),
      PhysicalResourceId: id,
      OldResourceProperties: props(from),
    }),
    del: (id: string, status: string) => ({ ...base("Delete", props(status)), PhysicalResourceId: id }),
  };
}

const stats = (xs: number[]) => [round(median(xs)), round(percentile(xs, 90)), round(Math.min(...xs)), round(Math.max(...xs)), xs.length];

export async function lambda(ctx: BenchContext, spawns: number, invocations: number): Promise<Result> {
  log("lambda: building the bundle (scripts/build-lambda.js)");
  const { file, buildOutput } = buildBundle();
  const bytes = fs.statSync(file).size;
  // The build prints its biggest inputs per package ("  axios  83.0 KiB").
  const inputs = [...buildOutput.matchAll(/^\s+(\S+)\s+([\d.]+) KiB$/gm)].map((m) => [m[1], Number(m[2])] as const);
  const env = { PATH: process.env.PATH ?? "", NODE_PATH: sdkOnlyNodePath(), NODE_NO_WARNINGS: "1" };
  const dir = bundleDir(file);
  log(`lambda: cold start, ${spawns} spawns`);
  const cold = await coldRequire(path.join(dir, "index.js"), spawns, dir, env);
  const bare = await coldRequire("node:os", spawns, dir, env);

  const resp = await startResponseServer();
  const aws = await startFakeAws({ secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY } });
  const runEnv = { ...env, ...awsEnv(aws) };
  const ev = eventsFor(resp.url, ctx.url);
  try {
    // Warm: one process (one sandbox) gets `invocations` events of each kind in a row.
    log(`lambda: warm, ${invocations} invocations × 3 kinds in one process`);
    const kinds: [string, () => Event][] = [
      ["Delete of an id SendGrid does not know", () => ev.del("BenchUnknownBatchId0001", "active")],
      ["Update, only ServiceTimeout changed", () => ev.update("BenchBatchId", "active", "active", { ServiceTimeout: "600" })],
      ["Create active", () => ev.create("active")],
    ];
    const warm = await runBundle(
      dir,
      kinds.flatMap(([, make]) => Array.from({ length: invocations }, make)),
      { env: runEnv, timeoutMs: 600_000 },
    );
    const ok = resp.received.filter((r) => r.json.Status === "SUCCESS").length;
    if (warm.code !== 0 || ok !== 3 * invocations)
      throw new Error(`lambda warm run: exit ${warm.code}, ${ok} SUCCESS responses\n${warm.stderr}`);
    const warmRows = kinds.flatMap(([name], i) => {
      const t = warm.invokeMs.slice(i * invocations, (i + 1) * invocations);
      return [
        [`${name}: first call in the process`, round(t[0]), "", "", "", 1],
        [`${name}: warm (calls 6…${invocations})`, ...stats(t.slice(5))],
      ];
    });

    // SendGrid requests per event: each event in its own process, physical ids from the responses.
    const perEvent: (string | number)[][] = [];
    const last = () => String(resp.received[resp.received.length - 1]?.json.PhysicalResourceId);
    const sequence: [string, () => Event, number][] = [
      ["Create active", () => ev.create("active"), 1],
      ["Update active → paused", () => ev.update(last(), "active", "paused"), 1],
      ["Update, only ServiceTimeout changed", () => ev.update(last(), "paused", "paused", { ServiceTimeout: "600" }), 0],
      ["Delete (paused)", () => ev.del(last(), "paused"), 1],
      ["Create paused", () => ev.create("paused"), 2],
      ["Update paused → cancelled", () => ev.update(last(), "paused", "cancelled"), 1],
      ["Delete (cancelled)", () => ev.del(last(), "cancelled"), 0],
      ["Create active, again", () => ev.create("active"), 1],
      ["Delete (active)", () => ev.del(last(), "active"), 1],
      ["Delete of an id SendGrid does not know (declared active)", () => ev.del("BenchUnknownBatchId0002", "active"), 1],
    ];
    for (const [name, make, limit] of sequence) {
      await ctx.admin.clearRequests();
      const run = await runBundle(dir, make(), { env: runEnv });
      const calls = await sendGridCalls(ctx.admin);
      const answer = resp.received[resp.received.length - 1]?.json;
      perEvent.push([name, `${answer?.Status} (${run.code})`, calls.join(", ") || "—", calls.length, limit]);
    }
    return {
      tables: [
        {
          title: "Lambda bundle",
          headers: ["measure", "value"],
          rows: [["bundle bytes", bytes], ...inputs.map(([k, v]) => [`  of which ${k}, KiB`, v])],
        },
        {
          title: "Lambda cold start and invocations (ms)",
          headers: ["measure", "median", "p90", "min", "max", "n"],
          rows: [
            ["init: require(bundle) in a fresh process", ...stats(cold.init)],
            ["whole spawn", ...stats(cold.wall)],
            ["bare node spawn (require of node:os)", ...stats(bare.wall)],
            ...warmRows,
          ],
        },
        { title: "SendGrid requests per CloudFormation event", headers: ["event", "answer", "requests", "n", "limit"], rows: perEvent },
      ],
      json: {
        bundleBytes: bytes,
        bundleInputsKiB: Object.fromEntries(inputs),
        coldInitMedianMs: round(median(cold.init)),
        warm: Object.fromEntries(warmRows.map((r) => [r[0], r[1]])),
        requestsPerEvent: Object.fromEntries(perEvent.map((r) => [r[0], r[3]])),
      },
    };
  } finally {
    await resp.close();
    await aws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
