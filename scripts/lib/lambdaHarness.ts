// The Lambda's surroundings, shared by the Lambda tests and the benchmarks: a stand-in for the
// pre-signed ResponseURL, a local fake of Secrets Manager / SSM (their JSON protocol) and of
// CloudFormation's ListStackResources (its query protocol), reached by the real AWS SDK through
// AWS_ENDPOINT_URL_*, and running the built bundle in its own Node process.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sdkOnlyNodePath } from "./lambdaBundle";
import { serveLocally } from "./localServer";

export const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf";
/** The fixtures' stack, and the id a failed Create answers with (lambda/operations.ts MARKER_ID). */
export const STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/newsletter/5b2e6c30-a8f1-11f0-9d3c-0affd3c9f1a3";

// ---------------------------------------------------------------------------------------------
// The ResponseURL stand-in

export interface ReceivedResponse {
  method: string;
  url: string;
  /** undefined when the header was absent; "" when sent empty. */
  contentType: string | undefined;
  contentLength: string | undefined;
  bytes: Buffer;
  json: Record<string, unknown>;
  /** ms since the server started. */
  at: number;
  /** Epoch ms of arrival. */
  time: number;
}

export interface ResponseServer {
  /** A pre-signed-looking URL (S3 path + SigV4 query string) on 127.0.0.1. */
  url: string;
  received: ReceivedResponse[];
  startedAt: number;
  close(): Promise<void>;
}

/** `statuses[i]` is the HTTP status answered to the i-th PUT (default 200). */
export async function startResponseServer(statuses: number[] = []): Promise<ResponseServer> {
  const received: ReceivedResponse[] = [];
  const startedAt = Date.now();
  const server = await serveLocally((req, bytes, res) => {
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      json = { unparsable: bytes.toString("utf8") };
    }
    const status = statuses[received.length] ?? 200;
    received.push({
      method: req.method ?? "",
      url: req.url ?? "",
      contentType: req.headers["content-type"],
      contentLength: req.headers["content-length"],
      bytes,
      json,
      at: Date.now() - startedAt,
      time: Date.now(),
    });
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(status >= 400 ? "<Error><Code>InternalError</Code></Error>" : "");
  });
  const query =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261122T101500Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7200" +
    "&X-Amz-Credential=AKIAEXAMPLEPRESIGNED%2F20261122%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  const url = `${server.url}/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/newsletter/5b2e6c30-a8f1-11f0-9d3c-0affd3c9f1a3%7CBatch%7C0f8b8e4c?${query}`;
  return {
    url,
    received,
    startedAt,
    close: server.close,
  };
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager / SSM fake (the JSON 1.1 protocol the SDK speaks), and CloudFormation's
// ListStackResources (the query protocol: a form-encoded POST, an XML answer)

/** A row of ListStackResources: what CloudFormation records of one resource of a stack. */
export interface FakeStackResource {
  LogicalResourceId: string;
  /** Absent while a Create is in progress. */
  PhysicalResourceId?: string;
  ResourceType: string;
  ResourceStatus: string;
}

export interface FakeAws {
  url: string;
  /** X-Amz-Target of each request (for CloudFormation, `cloudformation.<Action>`), in order. */
  calls: string[];
  /**
   * CloudFormation's record of each stack's resources, by StackId; a test changes it as
   * CloudFormation would (a stack not in it does not exist). Starts with the fixtures' stack, empty.
   */
  stacks: Record<string, FakeStackResource[]>;
  /** When set, ListStackResources is refused with this error (e.g. AccessDenied, Throttling). */
  stackReadError?: { status: number; code: string; message: string };
  close(): Promise<void>;
}

const xmlEscape = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** ListStackResources over `resources`, 2 rows a page (so a test also walks the pages). */
function listStackResources(stacks: FakeAws["stacks"], input: URLSearchParams): { status: number; body: string } {
  const stackId = input.get("StackName") ?? "";
  const resources = stacks[stackId];
  if (resources === undefined) return queryError(400, "ValidationError", `Stack with id ${stackId} does not exist`);
  const start = Number(input.get("NextToken") ?? "0");
  const page = resources.slice(start, start + 2);
  const next = start + 2 < resources.length ? `<NextToken>${start + 2}</NextToken>` : "";
  const members = page
    .map(
      (r) =>
        `<member><LogicalResourceId>${xmlEscape(r.LogicalResourceId)}</LogicalResourceId>` +
        (r.PhysicalResourceId === undefined ? "" : `<PhysicalResourceId>${xmlEscape(r.PhysicalResourceId)}</PhysicalResourceId>`) +
        `<ResourceType>${xmlEscape(r.ResourceType)}</ResourceType><LastUpdatedTimestamp>2026-11-22T10:15:00.000Z</LastUpdatedTimestamp>` +
        `<ResourceStatus>${xmlEscape(r.ResourceStatus)}</ResourceStatus></member>`,
    )
    .join("");
  return {
    status: 200,
    body:
      `<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListStackResourcesResult>` +
      `<StackResourceSummaries>${members}</StackResourceSummaries>${next}</ListStackResourcesResult>` +
      "<ResponseMetadata><RequestId>fake-aws-request</RequestId></ResponseMetadata></ListStackResourcesResponse>",
  };
}

function queryError(status: number, code: string, message: string): { status: number; body: string } {
  return {
    status,
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>fake-aws-request</RequestId></ErrorResponse>`,
  };
}

export async function startFakeAws(opts: {
  secrets?: Record<string, string>;
  parameters?: Record<string, string>;
  delayMs?: number;
}): Promise<FakeAws> {
  const calls: string[] = [];
  const fake: Omit<FakeAws, "url" | "close"> = { calls, stacks: { [STACK_ID]: [] } };
  const server = await serveLocally((req, bytes, res) => {
    if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      const input = new URLSearchParams(bytes.toString("utf8"));
      const action = input.get("Action") ?? "";
      calls.push(`cloudformation.${action}`);
      const failure = fake.stackReadError;
      const out =
        action !== "ListStackResources"
          ? queryError(400, "InvalidAction", `${action} is not served by this fake`)
          : failure
            ? queryError(failure.status, failure.code, failure.message)
            : listStackResources(fake.stacks, input);
      res.writeHead(out.status, { "content-type": "text/xml", "x-amzn-requestid": "fake-aws-request" });
      res.end(out.body);
      return;
    }
    const target = String(req.headers["x-amz-target"] ?? "");
    calls.push(target);
    const input = JSON.parse(bytes.toString("utf8") || "{}") as Record<string, unknown>;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "fake-aws-request" });
      res.end(JSON.stringify(body));
    };
    const answer = () => {
      if (target === "secretsmanager.GetSecretValue") {
        const id = String(input.SecretId);
        const value = opts.secrets?.[id];
        if (value === undefined)
          return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
        return reply(200, {
          ARN: id,
          Name: "sendgrid-api-key",
          SecretString: value,
          VersionId: "v1",
          VersionStages: ["AWSCURRENT"],
          CreatedDate: 1763800000,
        });
      }
      if (target === "AmazonSSM.GetParameter") {
        const name = String(input.Name);
        const value = opts.parameters?.[name];
        if (value === undefined) return reply(400, { __type: "ParameterNotFound", message: "" });
        if (input.WithDecryption !== true) return reply(400, { __type: "ValidationException", message: "WithDecryption expected" });
        return reply(200, {
          Parameter: {
            Name: name,
            Type: "SecureString",
            Value: value,
            Version: 1,
            ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`,
          },
        });
      }
      return reply(400, { __type: "UnknownOperationException", message: target });
    };
    if (opts.delayMs) setTimeout(answer, opts.delayMs).unref();
    else answer();
  });
  return Object.assign(fake, { url: server.url, close: server.close });
}

/** Environment that points the real AWS SDK v3 at the fake (service-specific endpoint variables). */
export function awsEnv(fake: FakeAws): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url,
    AWS_ENDPOINT_URL_SSM: fake.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: fake.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDFAKEFORTESTS",
    AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

// ---------------------------------------------------------------------------------------------
// The built bundle in its own Node process

const RUNNER = `
// Emulates the Lambda runtime: require the bundle, call index.handler with the event and a context
// whose clock runs out at the invocation's deadline, exit when the handler resolves (Lambda freezes
// the sandbox then) or with 124 when the deadline passes (Lambda kills it).
const fs = require("node:fs");
const t0 = process.hrtime.bigint();
const { handler } = require("./index.js");
const initMs = Number(process.hrtime.bigint() - t0) / 1e6;
// An array of events is sent in order to the same warm process (one invocation each, each with the
// whole timeout, as each Lambda invocation has), and each invocation's time is written as
// "RUNNER: invoke <ms>" and its end as "RUNNER: answered <i> <epoch ms>".
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const timeoutMs = Number(process.argv[3]);
// A warm sandbox that is not frozen between invocations: after the last one the process stays up
// this long, so anything an invocation left running can still act (and be seen to).
const lingerMs = Number(process.argv[4] || 0);
const context = (i, deadline) => ({
  functionName: "sendgrid-scheduled-batch",
  awsRequestId: "7c4a1d1e-0000-4000-8000-" + String(i + 1).padStart(12, "0"),
  logStreamName: "2026/11/22/[$LATEST]0123456789abcdef",
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
});
(async () => {
  const events = Array.isArray(input) ? input : [input];
  for (const [i, event] of events.entries()) {
    const killer = setTimeout(() => { process.stderr.write("RUNNER: Task timed out\\n"); process.exit(124); }, timeoutMs);
    const t0 = process.hrtime.bigint();
    await handler(event, context(i, Date.now() + timeoutMs));
    clearTimeout(killer);
    process.stderr.write("RUNNER: invoke " + (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(3) + "\\n");
    process.stderr.write("RUNNER: answered " + i + " " + Date.now() + "\\n");
  }
  if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
})().then(
  () => { process.stderr.write("RUNNER: done init=" + initMs.toFixed(1) + "ms\\n"); process.exit(0); },
  (err) => { process.stderr.write("RUNNER: handler rejected " + err + "\\n"); process.exit(1); },
);
`;

export interface BundleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout lines that parse as JSON (the handler's log lines). */
  logLines: Record<string, unknown>[];
  elapsedMs: number;
  /** Per invocation, ms from the handler call to its resolution (response PUT included). */
  invokeMs: number[];
  /** ms to require the bundle in this fresh process. */
  initMs: number;
  /** Per invocation, the epoch ms at which its handler resolved (its answer had been sent). */
  answeredAt: number[];
}

/** A temp dir with only the bundle and the runner (no node_modules anywhere above it). */
export function bundleDir(bundleFile: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-bundle-"));
  fs.copyFileSync(bundleFile, path.join(dir, "index.js"));
  fs.writeFileSync(path.join(dir, "runner.js"), RUNNER);
  return dir;
}

export async function runBundle(
  dir: string,
  event: unknown, // one event, or an array sent to the same warm process
  opts: {
    /** The function's Timeout, for each invocation (default 20 s). */
    timeoutMs?: number;
    env?: Record<string, string>;
    /** How long the warm process stays up after the last invocation (default 0: it exits). */
    lingerMs?: number;
    /** Edits the event's JSON text before it is sent (for an event JSON.stringify cannot write). */
    editJson?: (text: string) => string;
  } = {},
): Promise<BundleRun> {
  const eventFile = path.join(dir, `event-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const text = JSON.stringify(event);
  fs.writeFileSync(eventFile, opts.editJson ? opts.editJson(text) : text);
  const started = Date.now();
  // A clean environment: nothing from the test process leaks in (no NODE_PATH to the repo).
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    NODE_PATH: sdkOnlyNodePath(),
    NODE_NO_WARNINGS: "1",
    ...opts.env,
  };
  const child = spawn(process.execPath, ["runner.js", eventFile, String(opts.timeoutMs ?? 20_000), String(opts.lingerMs ?? 0)], {
    cwd: dir,
    env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  const logLines: Record<string, unknown>[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.trim()) continue;
    try {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  const invokeMs = [...stderr.matchAll(/^RUNNER: invoke ([\d.]+)$/gm)].map((m) => Number(m[1]));
  const initMs = Number(/RUNNER: done init=([\d.]+)ms/.exec(stderr)?.[1] ?? Number.NaN);
  const answeredAt = [...stderr.matchAll(/^RUNNER: answered \d+ (\d+)$/gm)].map((m) => Number(m[1]));
  return { code, stdout, stderr, logLines, elapsedMs: Date.now() - started, invokeMs, initMs, answeredAt };
}
