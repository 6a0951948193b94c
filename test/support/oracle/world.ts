// The mail oracle's world: the real code under test (the dynamic provider's runtime, the provider
// plugin's resource, the built Lambda bundle, the `orphans` command), the emulator it talks to over
// real HTTP through a fault-injecting link (./proxy.ts), and the model: what each host recorded.
//
// The model is the engine's and CloudFormation's memory, nothing more. The oracle plays those hosts:
// a create/update/read that returned records its outputs; an error that names an id and properties
// (the core's MustRecordError, as both Pulumi hosts record it) records those; any other error records
// nothing new. For the Lambda, the last properties answered SUCCESS, with CloudFormation's rollback.
// Whether mail was right is never computed by the model: the emulator knows each message's fate,
// and ./oracle.ts compares it with the status the model says was declared.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { orphansCommand } from "../../../cli/orphans";
import { main as cli } from "../../../cli/sendgrid-batches";
import type { Options } from "../../../cli/args";
import { type BatchStatus, clientFor } from "../../../core";
import { DEFAULT_EMULATOR_API_KEY, type EmulatorAdmin } from "../../../emulator";
import { BatchResource } from "../../../plugin/resource";
import * as dynamic from "../../../provider/runtime";
import { SECRET_ARN, STACK_ID, awsEnv, type FakeAws, type ResponseServer, startFakeAws, startResponseServer } from "../cfn";
import { useEmulator } from "../emulator";
import { type OracleProxy, startOracleProxy } from "./proxy";

export type Adapter = "dynamic" | "plugin" | "lambda";
export const KEY = DEFAULT_EMULATOR_API_KEY;
const REPO = path.resolve(__dirname, "..", "..", "..");
export const HOURS = 3600;

/** A resource as its host recorded it. */
export interface ModelResource {
  name: string;
  adapter: Adapter;
  batchId: string;
  status: BatchStatus;
  adopted: boolean;
  /** The declared sendAt (Unix seconds), if any. */
  sendAt?: number;
  /** Deleted: the host removed it, "cancelled" declared (no host removes a batch it could not cancel). */
  gone?: "deleted";
  /** For the Lambda: the last ResourceProperties answered SUCCESS. */
  props?: Record<string, unknown>;
}

export interface ModelMessage {
  id: string;
  batchId: string;
  /** The resource whose program scheduled it, or `app:<id>` for the application's own batches. */
  owner: string;
  sendAt: number;
}

export interface Model {
  resources: ModelResource[];
  messages: ModelMessage[];
  /** The application's own batches (outside the tool), paused by it unless it resumed one. */
  appBatches: { batchId: string; status: BatchStatus }[];
  /** Ids a killed run printed ("minted batch X") and no resource records: a user may adopt or import them. */
  leaked: string[];
  /** What went wrong that the host would see at once (a success SendGrid does not hold…). */
  notes: string[];
  seq: number;
}

export function emptyModel(): Model {
  return { resources: [], messages: [], appBatches: [], leaked: [], notes: [], seq: 0 };
}

export const live = (m: Model): ModelResource[] => m.resources.filter((r) => !r.gone);

/** What the error of a Pulumi host call asks the engine to record (ErrorResourceInitFailed), if anything. */
export function recordedByError(err: unknown): { id: string; properties: Record<string, unknown> } | undefined {
  if (err instanceof Error && "id" in err && "properties" in err && typeof err.id === "string") {
    return { id: err.id, properties: err.properties as Record<string, unknown> };
  }
  return undefined;
}

/** What a provider process run by the oracle answered (a create's or update's result, or an error naming what to record). */
export interface ChildAnswer {
  id?: string;
  outs?: Record<string, unknown>;
  error?: string;
  properties?: Record<string, unknown>;
}
export interface ChildResult {
  answer?: ChildAnswer;
  /** Ids it printed as minted. */
  minted: string[];
  killed: boolean;
}
interface ChildOptions {
  fsizeBytes?: number;
  killWhen?: Promise<unknown>;
  meanwhile?: { when: Promise<unknown>; act: () => Promise<void> };
}
type ChildCall =
  | { create: Record<string, unknown> }
  | { update: { id: string; olds: Record<string, unknown>; news: Record<string, unknown> } };

type LambdaHandler = (event: Record<string, unknown>, context: { getRemainingTimeInMillis(): number }) => Promise<void>;

/** The real parts, shared by every run of a test file; `reset` starts a run from nothing. */
export class World {
  proxy!: OracleProxy;
  journalFile = "";
  plugin!: BatchResource;
  /** Lines the code said to its host (engine log, stderr), for the failure report. */
  readonly log: string[] = [];
  private dir = "";
  private runNo = 0;
  private aws?: FakeAws;
  private responses?: ResponseServer;
  private lambda?: LambdaHandler;
  private savedEnv: Record<string, string | undefined> = {};
  private stderrWrite?: typeof process.stderr.write;

  constructor(
    readonly emulatorUrl: string,
    readonly admin: EmulatorAdmin,
  ) {}

  async start(): Promise<void> {
    this.proxy = await startOracleProxy(this.emulatorUrl);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgb-oracle-"));
    this.aws = await startFakeAws({ secrets: { [SECRET_ARN]: KEY } });
    this.responses = await startResponseServer();
    const env: Record<string, string> = {
      ...awsEnv(this.aws),
      SENDGRID_API_KEY: KEY,
      SENDGRID_QUOTA_WAIT_SECONDS: "0",
    };
    for (const [k, v] of Object.entries(env)) {
      this.savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    this.savedEnv.SENDGRID_BATCH_JOURNAL = process.env.SENDGRID_BATCH_JOURNAL;
    // The dynamic provider speaks to its host on stderr ("sendgrid-batch: minted batch …"): keep it for the report.
    const original = process.stderr.write.bind(process.stderr);
    this.stderrWrite = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (text.startsWith("sendgrid-batch: ")) {
        this.log.push(text.trimEnd());
        return true;
      }
      return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
  }

  async stop(): Promise<void> {
    if (this.stderrWrite) process.stderr.write = this.stderrWrite;
    for (const [k, v] of Object.entries(this.savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await this.proxy?.disarm();
    await this.proxy?.close();
    await this.aws?.close();
    await this.responses?.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A fresh run: an empty account, a new journal, new provider instances. */
  async reset(): Promise<void> {
    await this.proxy.disarm();
    await this.quiet();
    await this.admin.reset();
    this.runNo++;
    this.journalFile = path.join(this.dir, `run-${this.runNo}`, "journal.jsonl");
    process.env.SENDGRID_BATCH_JOURNAL = this.journalFile;
    this.log.length = 0;
    this.plugin = new BatchResource(
      () => ({ apiUrl: this.proxy.url }),
      { ...process.env },
      (line) => this.log.push(`plugin: ${line}`),
    );
  }

  /** Wait until the link has carried nothing for a moment (work a command left running has landed), bounded. */
  async quiet(idleMs = 400, maxMs = 4000): Promise<void> {
    const until = Date.now() + maxMs;
    let seen = this.proxy.seen.length;
    let idleSince = Date.now();
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.proxy.inFlight() > 0 || this.proxy.seen.length !== seen) {
        seen = this.proxy.seen.length;
        idleSince = Date.now();
      } else if (Date.now() - idleSince >= idleMs) return;
    }
  }

  // ----- the dynamic provider, as the dynamic-provider host calls it

  dynamicInputs(status: BatchStatus, sendAt?: number, batchId?: string): Record<string, unknown> {
    const inputs: Record<string, unknown> = { status, apiUrl: this.proxy.url };
    if (sendAt !== undefined) inputs.sendAt = sendAt;
    if (batchId !== undefined) inputs.batchId = batchId;
    return inputs;
  }

  async dynamicCheck(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const checked = await dynamic.check(olds, news);
    if (checked.failures.length) throw new Error(`check failed: ${checked.failures.map((f) => f.reason).join("; ")}`);
    return checked.inputs;
  }

  readonly dynamic = dynamic;

  // ----- the application: Mail Send on a batch id, and its own batches

  private async sendgrid(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${this.emulatorUrl}${route}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** The application schedules one message on `batchId` (real Mail Send), `aheadSeconds` from the emulator's now. */
  async mail(batchId: string, aheadSeconds: number): Promise<{ id: string; sendAt: number } | { refused: string }> {
    const now = await this.admin.now();
    const sendAt = now + aheadSeconds;
    const before = new Set((await this.admin.messages()).map((m) => m.id));
    const res = await this.sendgrid("POST", "/v3/mail/send", {
      personalizations: [{ to: [{ email: "reader@example.com" }] }],
      from: { email: "news@example.com" },
      subject: "scheduled",
      content: [{ type: "text/plain", value: "hello" }],
      batch_id: batchId,
      send_at: sendAt,
    });
    if (res.status !== 202) return { refused: `${res.status} ${JSON.stringify(res.json)}` };
    const made = (await this.admin.messages()).find((m) => !before.has(m.id));
    if (!made) throw new Error("Mail Send accepted but the emulator shows no new message");
    return { id: made.id, sendAt };
  }

  /** The application's own paused batch (outside the tool), with one message of its own. */
  async appBatch(): Promise<string | undefined> {
    const made = await this.sendgrid("POST", "/v3/mail/batch");
    const id = (made.json as { batch_id?: string } | undefined)?.batch_id;
    if (!id) throw new Error(`the application could not mint a batch: ${made.status}`);
    const paused = await this.sendgrid("POST", "/v3/user/scheduled_sends", { batch_id: id, status: "pause" });
    return paused.status === 201 ? id : undefined;
  }

  async appResume(batchId: string): Promise<void> {
    await this.sendgrid("DELETE", `/v3/user/scheduled_sends/${batchId}`);
  }

  async slotsUsed(): Promise<number> {
    const list = await this.sendgrid("GET", "/v3/user/scheduled_sends");
    return Array.isArray(list.json) ? list.json.length : 0;
  }

  // ----- `sendgrid-batches orphans`, in-process with a captured Io

  async orphans(clear: boolean): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const client = clientFor({ apiKey: KEY, apiUrl: this.proxy.url }, { retry: { maxQuotaWaitMs: 0 } });
    const o: Options = {
      command: "orphans",
      apiUrl: this.proxy.url,
      states: [],
      sent: new Map(),
      trustSent: false,
      marginSeconds: 600,
      keep: [],
      journal: this.journalFile,
      clear,
      yes: true,
      dryRun: false,
    };
    const code = await orphansCommand(client, o, [], { out: (s) => out.push(s), err: (s) => out.push(`err: ${s}`) });
    return { code, out };
  }

  /** `sendgrid-batches clear-cancelled --yes`, in-process, the operator giving each send time with --sent. */
  async clearCancelled(sent: Map<string, number>): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const argv = ["clear-cancelled", "--api-url", this.proxy.url, "--yes"];
    for (const [id, t] of sent) argv.push("--sent", `${id}=${t}`);
    const code = await cli(argv, { out: (s) => out.push(s), err: (s) => out.push(`err: ${s}`) });
    return { code, out };
  }

  // ----- another provider process: the dynamic provider's runtime (built) in a child process

  /**
   * Run a create of the dynamic provider in its own process. `fsizeBytes` limits the size of files
   * it may write (a full disk: a write past it is cut short, as `ulimit -f` does). Returns what it
   * answered and what it printed.
   */
  childCreate(inputs: Record<string, unknown>, opts: ChildOptions = {}): Promise<ChildResult> {
    return this.child({ create: inputs }, opts);
  }

  /** Run an update of a dynamic resource (its recorded id and outputs → `news`) in its own process. */
  childUpdate(id: string, olds: Record<string, unknown>, news: Record<string, unknown>, opts: ChildOptions = {}): Promise<ChildResult> {
    return this.child({ update: { id, olds, news } }, opts);
  }

  private async child(call: ChildCall, opts: ChildOptions): Promise<ChildResult> {
    const script = `
      const rt = require(${JSON.stringify(path.join(REPO, "dist", "provider", "runtime.js"))});
      const call = JSON.parse(process.argv[1]);
      (async () => {
        if (call.update) {
          const checked = await rt.check(call.update.olds, call.update.news);
          const made = await rt.update(call.update.id, call.update.olds, checked.inputs);
          process.stdout.write(JSON.stringify({ id: call.update.id, outs: made.outs }));
          return;
        }
        const checked = await rt.check({}, call.create);
        const made = await rt.create(checked.inputs);
        process.stdout.write(JSON.stringify({ id: made.id, outs: made.outs }));
      })().catch((e) => process.stdout.write(JSON.stringify({ error: String(e && e.message), id: e && e.id, properties: e && e.properties })));
    `;
    const env = { ...process.env, SENDGRID_BATCH_JOURNAL: this.journalFile };
    const args = ["-e", script, JSON.stringify(call)];
    const child =
      opts.fsizeBytes === undefined
        ? spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] })
        : spawn("bash", ["-c", `trap '' XFSZ; exec prlimit --fsize=${opts.fsizeBytes} "$0" "$@"`, process.execPath, ...args], {
            env,
            stdio: ["ignore", "pipe", "pipe"],
          });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
    let killed = false;
    if (opts.killWhen) {
      const point = await Promise.race([opts.killWhen.then(() => "point" as const), exited.then(() => "exited" as const)]);
      if (point === "point") {
        child.kill("SIGKILL");
        killed = true;
      }
    }
    if (opts.meanwhile) {
      const point = await Promise.race([opts.meanwhile.when.then(() => "point" as const), exited.then(() => "exited" as const)]);
      if (point === "point") await opts.meanwhile.act();
    }
    await exited;
    const minted = [...stderr.matchAll(/minted batch (\S+)/g)].map((m) => m[1]);
    for (const line of stderr.split("\n")) if (line.trim()) this.log.push(`child: ${line.trim()}`);
    let answer: ChildAnswer | undefined;
    try {
      answer = stdout ? JSON.parse(stdout) : undefined;
    } catch {
      answer = { error: `unreadable answer: ${stdout}` };
    }
    return { answer, minted, killed };
  }

  /** A pid that belonged to a process that has ended. */
  deadPid(): number {
    const done = spawnSync("true");
    return done.pid ?? 999_999;
  }

  journalSize(): number {
    try {
      return fs.statSync(this.journalFile).size;
    } catch {
      return 0;
    }
  }

  /** Append a line to the journal as another program would (a hand-written or restored line). */
  appendJournalLine(line: string): void {
    fs.mkdirSync(path.dirname(this.journalFile), { recursive: true });
    fs.appendFileSync(this.journalFile, `${line}\n`);
  }

  // ----- the CloudFormation custom resource: the built bundle, one warm container

  lambdaProps(status: BatchStatus, sendAt?: number): Record<string, unknown> {
    const p: Record<string, unknown> = {
      ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch",
      ApiKeySecretArn: SECRET_ARN,
      ApiUrl: this.proxy.url,
      Status: status,
    };
    if (sendAt !== undefined) p.SendAt = sendAt;
    return p;
  }

  /** Deliver one event to the warm container; resolves with CloudFormation's answer. */
  async lambdaEvent(
    requestType: "Create" | "Update" | "Delete",
    logicalId: string,
    props: Record<string, unknown>,
    opts: { physicalId?: string; oldProps?: Record<string, unknown>; remainingMs?: number } = {},
  ): Promise<{ Status: string; PhysicalResourceId: string; Reason?: string }> {
    if (!this.lambda) {
      const mod = require(path.join(REPO, "lambda", "dist", "index.js")) as { handler: LambdaHandler };
      this.lambda = mod.handler;
    }
    const responses = this.responses as ResponseServer;
    const before = responses.received.length;
    const event: Record<string, unknown> = {
      RequestType: requestType,
      ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:sendgrid-scheduled-batch",
      ResponseURL: responses.url,
      StackId: STACK_ID,
      RequestId: `req-${this.runNo}-${++this.requestSeq}`,
      LogicalResourceId: logicalId,
      ResourceType: "Custom::SendGridScheduledBatch",
      ResourceProperties: props,
    };
    if (opts.physicalId !== undefined) event.PhysicalResourceId = opts.physicalId;
    if (opts.oldProps !== undefined) event.OldResourceProperties = opts.oldProps;
    const remaining = opts.remainingMs ?? 30_000;
    const started = Date.now();
    const sink = console.log;
    console.log = () => {};
    try {
      await this.lambda(event, { getRemainingTimeInMillis: () => Math.max(0, remaining - (Date.now() - started)) });
    } finally {
      console.log = sink;
    }
    const answer = responses.received[before]?.json as { Status: string; PhysicalResourceId: string; Reason?: string } | undefined;
    if (!answer) throw new Error(`the Lambda answered nothing to ${requestType}`);
    return answer;
  }
  private requestSeq = 0;
}

/**
 * The oracle's world over an emulator of this suite: started before its tests, stopped after them.
 * The returned getter gives the started world.
 */
export function useWorld(): () => World {
  const suite = useEmulator();
  let world: World | undefined;
  beforeAll(async () => {
    world = new World(suite.url, suite.admin);
    await world.start();
  });
  afterAll(async () => {
    await world?.stop();
  });
  return () => {
    if (!world) throw new Error("the oracle's world is not started (useWorld's beforeAll has not run)");
    return world;
  };
}
