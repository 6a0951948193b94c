// §5 The CloudFormation Lambda: bundle size, cold-start init (require of the bundle in a fresh
// Node process), warm invocation time and SendGrid requests per event, against the emulator, the
// Lambda tests' fake Secrets Manager and their stand-in for the pre-signed ResponseURL
// (test/fixtures/cfn/harness.ts).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY, type EmulatorAdmin } from "../../emulator";
import {
  SECRET_ARN,
  STACK_ID,
  awsEnv,
  buildBundle,
  sdkOnlyNodePath,
  startFakeAws,
  startResponseServer,
  type FakeAws,
  type ResponseServer,
} from "../../test/support/cfn";
import { REPO_ROOT } from "../lib/engine";
import {
  coldRequire,
  emptySection,
  fmt,
  log,
  max,
  median,
  min,
  percentile,
  runNode,
  sendGridRequests,
  shortRoute,
  type SectionResult,
} from "./util";

const GOAL_BYTES = 300 * 1024;
const GOAL_INIT_MS = 150;

export interface LambdaOptions {
  spawns: number;
  invocations: number;
}

// One process, like one warm Lambda sandbox: require the bundle, then send it the configured events
// in order, each `repeat` times (distinct RequestIds; "__SEQ__" is a sequence number, "__LAST__" the
// physical id the last Create answered). Each invocation is timed from the call to the handler's
// resolution (the response PUT included); the handler's JSON log line (captured, not printed)
// gives its outcome and the SendGrid calls it made.
const RUNNER = `
const fs = require("node:fs");
const [bundle, cfgFile, outFile] = process.argv.slice(1);
const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
const lines = [];
console.log = (...a) => { lines.push(a.join(" ")); };
const parse = (l) => { try { return JSON.parse(l); } catch { return null; } };
const { handler } = require(bundle);
(async () => {
  const out = [];
  let last = "";
  let seq = 0;
  for (const step of cfg.steps) {
    const runs = [];
    for (let i = 0; i < step.repeat; i++) {
      seq++;
      const event = JSON.parse(JSON.stringify(step.event).replaceAll("__LAST__", last).replaceAll("__SEQ__", String(seq)));
      const before = lines.length;
      const t0 = process.hrtime.bigint();
      await handler(event, { awsRequestId: "bench-" + seq, logStreamName: "bench", getRemainingTimeInMillis: () => 60000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const entry = lines.slice(before).map(parse).filter(Boolean).pop() || {};
      const outcome = entry.outcome || {};
      if (event.RequestType === "Create" && outcome.physicalResourceId) last = outcome.physicalResourceId;
      runs.push({ ms, status: outcome.status, action: outcome.action, calls: entry.sendgridCalls || [] });
    }
    out.push({ name: step.name, runs });
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
})().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
`;

interface Step {
  name: string;
  event: Record<string, unknown>;
  repeat: number;
}

interface Invocation {
  ms: number;
  status?: string;
  action?: string;
  /** "METHOD /path status", from the handler's log line. */
  calls: string[];
}

interface StepResult {
  name: string;
  runs: Invocation[];
}

interface Harness {
  tmp: string;
  env: Record<string, string>;
  resp: ResponseServer;
  admin: EmulatorAdmin;
}

/**
 * Run `steps` through the bundle in one process and check what the run claims: every invocation
 * answered SUCCESS, exactly one response PUT each (all SUCCESS), and the SendGrid calls the handler
 * logged are the ones the emulator received.
 */
async function runSteps(bundle: string, h: Harness, tag: string, steps: Step[]): Promise<StepResult[]> {
  const cfgFile = path.join(h.tmp, `${tag}.json`);
  const outFile = path.join(h.tmp, `${tag}-out.json`);
  fs.writeFileSync(cfgFile, JSON.stringify({ steps }));
  await h.admin.clearRequests();
  const putsBefore = h.resp.received.length;
  const run = await runNode(["-e", RUNNER, bundle, cfgFile, outFile], path.dirname(bundle), h.env);
  if (run.code !== 0) throw new Error(`Lambda ${tag} run failed: ${run.stderr.slice(0, 800)}`);
  const out = JSON.parse(fs.readFileSync(outFile, "utf8")) as StepResult[];

  const invocations = out.flatMap((s) => s.runs.map((r) => ({ step: s.name, ...r })));
  const failed = invocations.find((r) => r.status !== "SUCCESS");
  if (failed) throw new Error(`Lambda ${tag}: "${failed.step}" answered ${failed.status} (${failed.action})`);
  const puts = h.resp.received.slice(putsBefore);
  const expectedPuts = steps.reduce((a, s) => a + s.repeat, 0);
  if (puts.length !== expectedPuts) throw new Error(`Lambda ${tag}: expected ${expectedPuts} response PUTs, got ${puts.length}`);
  if (puts.some((p) => p.json.Status !== "SUCCESS")) throw new Error(`Lambda ${tag}: a response PUT did not carry Status SUCCESS`);
  const logged = invocations.reduce((a, r) => a + r.calls.length, 0);
  const received = (await sendGridRequests(h.admin)).length;
  if (logged !== received)
    throw new Error(`Lambda ${tag}: the handler's log lines list ${logged} SendGrid calls, the emulator received ${received}`);
  return out;
}

/** "POST …/scheduled_sends 201, GET …/mail/batch/{id} 200" for one invocation's calls. */
function callsText(calls: string[]): string {
  return calls.length ? calls.map((c) => shortRoute(c).replace(/\/[A-Za-z0-9_-]{20,}/, "/{id}")).join(", ") : "—";
}

/** What every run of a step called, or the spread when the runs differ. */
function callsOfStep(s: StepResult): string {
  const texts = new Set(s.runs.map((r) => callsText(r.calls)));
  const counts = s.runs.map((r) => r.calls.length);
  if (texts.size === 1) {
    const n = counts[0] ?? 0;
    return `${n} SendGrid call${n === 1 ? "" : "s"}${n ? `: ${[...texts][0]}` : ""}`;
  }
  return `${min(counts)}–${max(counts)} SendGrid calls (runs differ)`;
}

function baseEvent(
  type: "Create" | "Update" | "Delete",
  responseUrl: string,
  apiUrl: string,
): Record<string, unknown> & { ResourceProperties: Record<string, string> } {
  const serviceToken = "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch";
  return {
    RequestType: type,
    ServiceToken: serviceToken,
    ResponseURL: responseUrl,
    StackId: STACK_ID,
    RequestId: "bench-request-__SEQ__",
    LogicalResourceId: "Batch",
    ResourceType: "Custom::SendGridScheduledBatch",
    ResourceProperties: {
      ServiceToken: serviceToken,
      ServiceTimeout: "300",
      ApiKeySecretArn: SECRET_ARN,
      ApiUrl: apiUrl,
      Status: "active",
    },
  };
}

/** Event builders for one response URL and API URL. */
function events(responseUrl: string, apiUrl: string) {
  const props = (status: string, extra: Record<string, string> = {}) => ({
    ...baseEvent("Create", responseUrl, apiUrl).ResourceProperties,
    Status: status,
    ...extra,
  });
  return {
    create: (status: string) => ({ ...baseEvent("Create", responseUrl, apiUrl), ResourceProperties: props(status) }),
    update: (id: string, from: string, to: string, extra: Record<string, string> = {}) => ({
      ...baseEvent("Update", responseUrl, apiUrl),
      PhysicalResourceId: id,
      ResourceProperties: props(to, extra),
      OldResourceProperties: props(from),
    }),
    del: (id: string, status: string) => ({
      ...baseEvent("Delete", responseUrl, apiUrl),
      PhysicalResourceId: id,
      ResourceProperties: props(status),
    }),
  };
}

/** An id of the batch-id shape that the emulator (like SendGrid) does not know. */
const UNKNOWN_ID = "BenchUnknownBatchId__SEQ__";

export async function lambdaSection(emulatorUrl: string, admin: EmulatorAdmin, opts: LambdaOptions): Promise<SectionResult> {
  const section = emptySection(5, "CloudFormation Lambda: bundle size, cold start, warm invocations");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-bench-lambda-"));
  let resp: ResponseServer | undefined;
  let aws: FakeAws | undefined;
  try {
    // Bundle: the project's build script, into a temp dir (reflects the current sources; the
    // checked-out lambda/dist is not touched). The build prints its biggest inputs per package.
    log("§5 building the Lambda bundle (scripts/build-lambda.js)");
    const buildDir = path.join(tmp, "build");
    const { file: bundle, buildOutput: buildOut } = buildBundle(buildDir);
    const bytes = fs.statSync(bundle).size;
    const local = path.join(REPO_ROOT, "lambda", "dist", "index.js");
    const localBytes = fs.existsSync(local) ? fs.statSync(local).size : undefined;
    const localSame = localBytes !== undefined && fs.readFileSync(local).equals(fs.readFileSync(bundle));
    const breakdown = buildOut
      .split("\n")
      .map((l) => /^\s+(\S+)\s+([\d.]+) KiB$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], Number(m[2])] as const);

    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_PATH: sdkOnlyNodePath(), NODE_NO_WARNINGS: "1" };
    log(`§5 cold start: ${opts.spawns} spawns`);
    const { init, wall, bare } = await coldRequire(bundle, opts.spawns, { cwd: buildDir, env, bare: true });

    resp = await startResponseServer();
    aws = await startFakeAws({ secrets: { [SECRET_ARN]: DEFAULT_EMULATOR_API_KEY } });
    await admin.reset();
    const h: Harness = { tmp, env: { ...env, ...awsEnv(aws) }, resp, admin };
    const ev = events(resp.url, emulatorUrl);

    log(`§5 warm: ${opts.invocations} invocations × 3 kinds in one process`);
    const warm = await runSteps(bundle, h, "warm", [
      { name: "Delete of an id SendGrid does not know", event: ev.del(UNKNOWN_ID, "active"), repeat: opts.invocations },
      {
        name: "Update, only ServiceTimeout changed",
        event: ev.update("BenchBatchId", "active", "active", { ServiceTimeout: "600" }),
        repeat: opts.invocations,
      },
      { name: "Create active", event: ev.create("active"), repeat: opts.invocations },
    ]);
    const warmCalls = warm.reduce((a, s) => a + s.runs.reduce((b, r) => b + r.calls.length, 0), 0);

    log("§5 SendGrid requests per CloudFormation event");
    const limits: { name: string; event: Record<string, unknown>; limit: number }[] = [
      { name: "Create active", event: ev.create("active"), limit: 1 },
      { name: "Update active → paused", event: ev.update("__LAST__", "active", "paused"), limit: 1 },
      {
        name: "Update, only ServiceTimeout changed",
        event: ev.update("__LAST__", "paused", "paused", { ServiceTimeout: "600" }),
        limit: 0,
      },
      { name: "Delete (paused)", event: ev.del("__LAST__", "paused"), limit: 1 },
      { name: "Create paused", event: ev.create("paused"), limit: 2 },
      { name: "Update paused → cancelled", event: ev.update("__LAST__", "paused", "cancelled"), limit: 1 },
      { name: "Delete (cancelled)", event: ev.del("__LAST__", "cancelled"), limit: 0 },
      { name: "Create active, again", event: ev.create("active"), limit: 1 },
      { name: "Delete (active)", event: ev.del("__LAST__", "active"), limit: 1 },
      { name: "Delete of an id SendGrid does not know (declared active)", event: ev.del(UNKNOWN_ID, "active"), limit: 1 },
    ];
    const sequence = await runSteps(
      bundle,
      h,
      "sequence",
      limits.map((l) => ({ name: l.name, event: l.event, repeat: 1 })),
    );
    const perEvent = sequence.map((s, i) => ({ name: s.name, run: s.runs[0], limit: limits[i].limit }));

    // ---- report
    section.intro.push(
      "The bundle is built by `scripts/build-lambda.js` into a temp dir (current sources; esbuild, minified, `@aws-sdk/*` external, `form-data` stubbed). " +
        `Cold start: \`node -e\` in a fresh process, timing \`require(bundle)\` with \`process.hrtime\` (${opts.spawns} spawns; NODE_PATH holds only @aws-sdk/*, as the Lambda runtime provides). ` +
        `Warm: one process requires the bundle, then calls \`handler\` ${opts.invocations}× per event kind in a row (distinct RequestIds), against the emulator, the Lambda tests' fake Secrets Manager ` +
        "(reached by the real AWS SDK through `AWS_ENDPOINT_URL_SECRETS_MANAGER`) and their local stand-in for the pre-signed ResponseURL (test/fixtures/cfn/harness.ts); each time includes the response PUT. " +
        `Checked: ${3 * opts.invocations} SUCCESS response PUTs, and the ${warmCalls} SendGrid calls the handler logged are the ones the emulator received. ` +
        "Every SendGrid call count below is taken from the handler's own log line in this run.",
    );
    section.tables.push({
      title: "Bundle",
      headers: ["measure", "value"],
      rows: [
        ["bundle (fresh build), bytes", `${fmt.bytes(bytes)} (${fmt.kib(bytes)})`],
        ...breakdown.map(([name, kib]) => [`  of which ${name}`, `${kib.toFixed(1)} KiB (${((100 * kib * 1024) / bytes).toFixed(0)} %)`]),
        [
          "lambda/dist/index.js (local build output, not in git), bytes",
          localBytes === undefined
            ? "absent"
            : `${fmt.bytes(localBytes)} (${localSame ? "identical to the fresh build" : "differs from the fresh build of the current sources; `npm run build:lambda` rebuilds it"})`,
        ],
      ],
      align: ["l", "r"],
    });
    section.tables.push({
      title: "Cold start and invocation times (ms)",
      headers: ["measure", "median", "p90", "min", "max", "n"],
      rows: [
        [
          "init: require(bundle) in a fresh process",
          fmt.ms(median(init)),
          fmt.ms(percentile(init, 90)),
          fmt.ms(min(init)),
          fmt.ms(max(init)),
          String(init.length),
        ],
        [
          "  whole spawn (node start + require + exit)",
          fmt.ms(median(wall)),
          fmt.ms(percentile(wall, 90)),
          fmt.ms(min(wall)),
          fmt.ms(max(wall)),
          String(wall.length),
        ],
        [
          '  bare `node -e ""` spawn, for reference',
          fmt.ms(median(bare)),
          fmt.ms(percentile(bare, 90)),
          fmt.ms(min(bare)),
          fmt.ms(max(bare)),
          String(bare.length),
        ],
        ...warm.flatMap((s) => {
          const times = s.runs.map((r) => r.ms);
          const rest = times.slice(5);
          const name = `${s.name} (${callsOfStep(s)})`;
          return [
            [`${name}: first call in the process`, fmt.ms(times[0]), "", "", "", "1"],
            [
              `${name}: warm (calls 6…${times.length})`,
              fmt.ms(median(rest)),
              fmt.ms(percentile(rest, 90)),
              fmt.ms(min(rest)),
              fmt.ms(max(rest)),
              String(rest.length),
            ],
          ];
        }),
      ],
    });
    section.tables.push({
      title: "SendGrid requests per CloudFormation event (one warm process; calls from the handler's log line)",
      headers: ["event", "answer", "requests (method path status)", "measured", "limit", "excess"],
      rows: perEvent.map((e) => [
        e.name,
        `${e.run.status ?? "?"} (${e.run.action ?? "?"})`,
        callsText(e.run.calls),
        String(e.run.calls.length),
        String(e.limit),
        e.run.calls.length > e.limit ? `+${e.run.calls.length - e.limit} ⚠` : "0 ✓",
      ]),
      align: ["l", "l", "l", "r", "r", "r"],
    });
    const count = (name: string) => perEvent.find((e) => e.name === name)?.run.calls.length ?? NaN;
    const deletes = perEvent.filter((e) => e.name.startsWith("Delete"));
    const unknown = perEvent.find((e) => e.name.startsWith("Delete of an id SendGrid does not know"));
    section.notes.push(
      `**Delete acts on the declared Status.** \`onDelete\` (lambda/lifecycle.ts) passes the template's \`Status\` to \`cancelBatch\` as the believed status: ` +
        `${deletes.map((e) => `${e.name} = ${e.run.calls.length}`).join(", ")}. ` +
        (count("Delete (active)") === 1 && count("Delete (paused)") === 1
          ? "For an active or paused batch that is the one cancelling write, the same as the Pulumi provider's destroy (§1). "
          : "An active or paused batch should cost the one cancelling write, as the Pulumi provider's destroy does (§1); see the excess column. ") +
        (unknown?.run.action === "gone"
          ? `An id SendGrid does not know costs ${unknown.run.calls.length} (\`${callsText(unknown.run.calls)}\`), reported gone. `
          : "") +
        (count("Delete (cancelled)") > 0
          ? `Delete (cancelled) = ${count("Delete (cancelled)")} for the reason §1's destroy (cancelled) has it: a declared \`cancelled\` is re-read, so a batch un-cancelled out of band is still cancelled before the resource goes.`
          : ""),
    );
    const firstWarm = warm[0];
    section.notes.push(
      `The first call of the process (${fmt.ms(firstWarm?.runs[0]?.ms ?? NaN)} ms for "${firstWarm?.name ?? "?"}") pays for loading \`@aws-sdk/client-secrets-manager\` lazily and reading the secret; ` +
        "the key is then cached for 5 minutes, so warm calls are SendGrid round trips on loopback plus the response PUT. A real Lambda adds network latency to SendGrid and S3, which dominates these figures.",
    );
    const top = breakdown
      .slice(0, 4)
      .map(([k, v]) => `${k} ${v.toFixed(1)} KiB`)
      .join(", ");
    const axios = breakdown.find(([k]) => k === "axios")?.[1];
    section.goals.push({
      name: "bundle size",
      measured: bytes,
      goal: GOAL_BYTES,
      unit: "bytes",
      met: bytes <= GOAL_BYTES,
      why:
        bytes <= GOAL_BYTES
          ? undefined
          : `${fmt.kib(bytes)} is over by ${fmt.kib(bytes - GOAL_BYTES)}. The biggest inputs are ${top}. ` +
            (breakdown.some(([k]) => k === "mime-db" || k === "form-data")
              ? "form-data/mime-db are in the bundle again: scripts/build-lambda.js's form-data stub no longer takes effect (axios' multipart path, unused by the Lambda). "
              : "") +
            `The remaining lever is the core's HTTP client: sending its seven JSON requests through Node's built-in \`fetch\` instead of \`@sendgrid/client\` + axios would remove axios${axios !== undefined ? ` (${axios.toFixed(1)} KiB)` : ""} and its dependencies.`,
    });
    if (bytes <= GOAL_BYTES) {
      section.notes.push(
        `**Bundle: ${fmt.kib(bytes)}, ${fmt.kib(GOAL_BYTES - bytes)} under the goal.** scripts/build-lambda.js resolves \`form-data\` (axios' multipart support, which pulled in mime-types and mime-db) to a class that throws if used; the Lambda sends only JSON. ` +
          `The biggest inputs are now ${top}; the next lever would be the core's HTTP client (Node's \`fetch\` instead of \`@sendgrid/client\` + axios).`,
      );
    }
    section.goals.push({
      name: "cold-start init (require of the bundle), median",
      measured: median(init),
      goal: GOAL_INIT_MS,
      unit: "ms",
      met: median(init) <= GOAL_INIT_MS,
      why:
        median(init) <= GOAL_INIT_MS
          ? undefined
          : `Parsing and evaluating the bundle's modules at require time; the biggest inputs (${top}) dominate.`,
    });
  } finally {
    await resp?.close();
    await aws?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return section;
}
