// The oracle's commands: each drives the real code once, as its host would, and records in the
// model what that host would record. A command that names a resource or an id picks it at run time
// from what exists then (`pick` modulo the candidates), and its toString says what it did, so a
// shrunk failing sequence reads as a story.

import * as fs from "node:fs";
import * as os from "node:os";
import fc from "fast-check";
import { type BatchStatus, accountKey } from "../../../core";
import { type FaultKind, type FaultPhase, requestOf } from "./proxy";
import { type Adapter, type ChildAnswer, HOURS, type Model, type ModelResource, type World, live, recordedByError } from "./world";

type Cmd = fc.AsyncCommand<Model, World, false>;

const STATUSES: BatchStatus[] = ["active", "paused", "cancelled"];
const statusArb = fc.constantFrom<BatchStatus>(...STATUSES);
const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0].slice(0, 160);

/** Every id a program may hold: recorded by a resource (now or before), or the application's own. */
function handedIds(m: Model): Set<string> {
  return new Set([...m.resources.map((r) => r.batchId), ...m.appBatches.map((b) => b.batchId), ...m.messages.map((x) => x.batchId)]);
}

function newName(m: Model, adapter: Adapter): string {
  return `${adapter === "dynamic" ? "d" : adapter === "plugin" ? "p" : "l"}${++m.seq}`;
}

/** A create without batchId must never return an id that already reached a program. */
function noteTakeover(m: Model, name: string, id: string, before: Set<string>): void {
  if (before.has(id)) m.notes.push(`create ${name} (no batchId) took over batch ${id}, which had reached a program already`);
}

function record(m: Model, r: ModelResource): void {
  m.resources.push(r);
  m.leaked = m.leaked.filter((id) => id !== r.batchId);
}

function outsStatus(outs: Record<string, unknown>): BatchStatus {
  const s = outs.status;
  return s === "paused" || s === "cancelled" ? s : "active";
}

abstract class Base implements Cmd {
  protected said = "";
  check(_m: Readonly<Model>): boolean {
    return true;
  }
  abstract exec(m: Model, w: World): Promise<void>;
  async run(m: Model, w: World): Promise<void> {
    if (process.env.ORACLE_TRACE) process.stdout.write(`  ${new Date().toISOString().slice(11, 23)} ${this.label()}\n`);
    await this.exec(m, w);
  }
  abstract label(): string;
  toString(): string {
    return this.said ? `${this.label()} → ${this.said}` : this.label();
  }
}

// ----- the Pulumi adapters (dynamic provider, provider plugin), called as their hosts call them

async function hostCreate(
  m: Model,
  w: World,
  adapter: "dynamic" | "plugin",
  desired: { status: BatchStatus; sendAt?: number; batchId?: string },
): Promise<string> {
  const name = newName(m, adapter);
  const before = handedIds(m);
  try {
    const inputs =
      adapter === "dynamic"
        ? await w.dynamicCheck({}, w.dynamicInputs(desired.status, desired.sendAt, desired.batchId))
        : w.plugin.check(
            {},
            {
              status: desired.status,
              ...(desired.sendAt !== undefined ? { sendAt: desired.sendAt } : {}),
              ...(desired.batchId ? { batchId: desired.batchId } : {}),
            },
          ).inputs;
    const made =
      adapter === "dynamic"
        ? await w.dynamic.create(inputs)
        : await w.plugin.create(inputs, `urn:pulumi:oracle::app::sendgrid-batch:index:ScheduledBatch::${name}`);
    if (desired.batchId === undefined) noteTakeover(m, name, made.id, before);
    record(m, {
      name,
      adapter,
      batchId: made.id,
      status: outsStatus(made.outs),
      adopted: desired.batchId !== undefined,
      sendAt: desired.sendAt,
      props: made.outs,
    });
    return `${name} = ${made.id} ${outsStatus(made.outs)}`;
  } catch (err) {
    const rec = recordedByError(err);
    if (rec) {
      if (desired.batchId === undefined) noteTakeover(m, name, rec.id, before);
      record(m, {
        name,
        adapter,
        batchId: rec.id,
        status: outsStatus(rec.properties),
        adopted: desired.batchId !== undefined,
        sendAt: desired.sendAt,
        props: rec.properties,
      });
      return `failed, recorded ${name} = ${rec.id} ${outsStatus(rec.properties)} (${describe(err)})`;
    }
    return `failed: ${describe(err)}`;
  }
}

export class Create extends Base {
  constructor(
    readonly adapter: "dynamic" | "plugin",
    readonly status: BatchStatus,
    readonly sendAtHours: number | null,
  ) {
    super();
  }
  label() {
    return `create(${this.adapter}, ${this.status}${this.sendAtHours !== null ? `, sendAt ${this.sendAtHours}h` : ""})`;
  }
  async exec(m: Model, w: World) {
    const sendAt = this.sendAtHours === null ? undefined : Math.floor(Date.now() / 1000) + this.sendAtHours * HOURS;
    this.said = await hostCreate(m, w, this.adapter, { status: this.status, sendAt });
  }
}

/** The user adopts (batchId) an id a killed run printed, as the runbook says. */
export class Adopt extends Base {
  constructor(
    readonly adapter: "dynamic" | "plugin",
    readonly pick: number,
    readonly status: BatchStatus,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.leaked.length > 0;
  }
  label() {
    return `adopt(${this.adapter}, leaked #${this.pick}, ${this.status})`;
  }
  async exec(m: Model, w: World) {
    const candidates = m.leaked.filter((id) => !m.resources.some((r) => r.batchId === id));
    if (!candidates.length) {
      this.said = "nothing to adopt";
      return;
    }
    const id = candidates[this.pick % candidates.length];
    this.said = `batchId ${id}: ${await hostCreate(m, w, this.adapter, { status: this.status, batchId: id })}`;
  }
}

/** `pulumi import` of a printed id through the plugin (a Read with no properties). */
export class Import extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.leaked.length > 0;
  }
  label() {
    return `import(plugin, leaked #${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const candidates = m.leaked.filter((id) => !m.resources.some((r) => r.batchId === id));
    if (!candidates.length) {
      this.said = "nothing to import";
      return;
    }
    const id = candidates[this.pick % candidates.length];
    const name = newName(m, "plugin");
    try {
      const read = await w.plugin.read(id, {});
      record(m, { name, adapter: "plugin", batchId: id, status: outsStatus(read.props), adopted: true, props: read.props });
      this.said = `${name} = ${id} ${outsStatus(read.props)}`;
    } catch (err) {
      this.said = `failed: ${describe(err)}`;
    }
  }
}

function pickLive(m: Model, pick: number, adapters: Adapter[] = ["dynamic", "plugin"]): ModelResource | undefined {
  const rs = live(m).filter((r) => adapters.includes(r.adapter));
  return rs.length ? rs[pick % rs.length] : undefined;
}

export class Update extends Base {
  constructor(
    readonly pick: number,
    readonly status: BatchStatus,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter !== "lambda");
  }
  label() {
    return `update(#${this.pick} → ${this.status})`;
  }
  async exec(m: Model, w: World) {
    const r = pickLive(m, this.pick);
    if (r) this.said = await hostUpdate(w, r, this.status);
  }
}

/** The inputs a program declaring `status` gives an update of `r` (its recorded outputs otherwise). */
function updateInputs(r: ModelResource, status: BatchStatus): Record<string, unknown> {
  const news: Record<string, unknown> = { ...(r.props ?? {}), status };
  delete news.adopted;
  if (!r.adopted) delete news.batchId;
  return news;
}

/** An update of `r` to `status` through its adapter, recorded as its host records it. */
async function hostUpdate(w: World, r: ModelResource, status: BatchStatus): Promise<string> {
  const olds = r.props ?? {};
  const news = updateInputs(r, status);
  try {
    let outs: Record<string, unknown>;
    if (r.adapter === "dynamic") {
      const checked = await w.dynamicCheck(olds, news);
      outs = (await w.dynamic.update(r.batchId, olds, checked)).outs;
    } else {
      const checked = w.plugin.check(olds, news);
      if (checked.failures.length) throw new Error(`check failed: ${checked.failures.map((f) => f.reason).join("; ")}`);
      outs = (await w.plugin.update(r.batchId, olds, checked.inputs)).outs;
    }
    r.status = outsStatus(outs);
    r.props = outs;
    return `${r.name} ${r.batchId} ${r.status}`;
  } catch (err) {
    const rec = recordedByError(err);
    if (rec) {
      r.status = outsStatus(rec.properties);
      r.props = rec.properties;
      return `failed, recorded ${r.name} ${r.status} (${describe(err)})`;
    }
    return `${r.name} failed: ${describe(err)}`;
  }
}

export class Refresh extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter !== "lambda");
  }
  label() {
    return `refresh(#${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const r = pickLive(m, this.pick);
    if (!r) return;
    try {
      const read = r.adapter === "dynamic" ? await w.dynamic.read(r.batchId, r.props ?? {}) : await w.plugin.read(r.batchId, r.props ?? {});
      r.status = outsStatus(read.props);
      r.props = read.props;
      this.said = `${r.name} ${r.status}`;
    } catch (err) {
      this.said = `${r.name} failed: ${describe(err)}`;
    }
  }
}

export class Delete extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter !== "lambda");
  }
  label() {
    return `delete(#${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const r = pickLive(m, this.pick);
    if (!r) return;
    try {
      if (r.adapter === "dynamic") await w.dynamic.delete(r.batchId, r.props ?? {});
      else await w.plugin.delete(r.batchId, r.props ?? {});
      r.gone = "deleted";
      this.said = `${r.name} ${r.batchId} deleted`;
    } catch (err) {
      this.said = `${r.name} failed: ${describe(err)}`;
    }
  }
}

// ----- the application and the world around the tool

/** The program of a resource schedules a message with the id its stack handed it. */
export class Mail extends Base {
  constructor(
    readonly pick: number,
    readonly aheadMinutes: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).length > 0;
  }
  label() {
    return `mail(#${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const rs = live(m);
    if (!rs.length) return;
    const r = rs[this.pick % rs.length];
    const sent = await w.mail(r.batchId, 60 * HOURS + this.aheadMinutes * 60);
    if ("refused" in sent) {
      this.said = `${r.name} refused: ${sent.refused}`;
      return;
    }
    m.messages.push({ id: sent.id, batchId: r.batchId, owner: r.name, sendAt: sent.sendAt });
    this.said = `${sent.id} on ${r.name} (${r.batchId})`;
  }
}

export class Clock extends Base {
  constructor(readonly seconds: number) {
    super();
  }
  label() {
    return `clock(+${this.seconds}s)`;
  }
  async exec(m: Model, w: World) {
    const now = await w.admin.now();
    const first = Math.min(...m.messages.map((x) => x.sendAt), now + 100 * HOURS);
    // Never past a send time during the run (its fate would be decided by then): up to 11 min before.
    const step = Math.min(this.seconds, first - 660 - now);
    if (step > 0) await w.admin.advanceClock(step);
    this.said = step > 0 ? `advanced ${step}s` : "held back (a send time is near)";
  }
}

/** The clock moves to 5 minutes before a resource's first scheduled message: pause and cancel come too late. */
export class NearSend extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.messages.length > 0;
  }
  label() {
    return `near-send(message #${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const now = await w.admin.now();
    const first = Math.min(...m.messages.map((x) => x.sendAt));
    if (first - 300 > now) await w.admin.setNow(first - 300);
    this.said = `clock at ${first - 300} (5 min before ${first})`;
  }
}

export class Fault extends Base {
  constructor(
    readonly kind: FaultKind,
    readonly phase: FaultPhase,
    readonly count: number,
  ) {
    super();
  }
  label() {
    return `fault(next ${this.count} request(s): ${this.kind} ${this.phase} SendGrid applies it)`;
  }
  async exec(_m: Model, w: World) {
    w.proxy.arm({ kind: this.kind, phase: this.phase }, this.count);
  }
}

/** Another program of the account pauses batches of its own until the 10 slots are full (each with a message). */
export class FillQuota extends Base {
  label() {
    return "fill-quota(the application's own paused batches)";
  }
  async exec(m: Model, w: World) {
    let made = 0;
    for (let i = 0; i < 10 && (await w.slotsUsed()) < 10; i++) {
      const id = await w.appBatch();
      if (!id) break;
      m.appBatches.push({ batchId: id, status: "paused" });
      const sent = await w.mail(id, 61 * HOURS);
      if (!("refused" in sent)) m.messages.push({ id: sent.id, batchId: id, owner: `app:${id}`, sendAt: sent.sendAt });
      made++;
    }
    this.said = `${made} batch(es) paused by the application`;
  }
}

export class AppResume extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.appBatches.some((b) => b.status === "paused");
  }
  label() {
    return `app-resume(#${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const paused = m.appBatches.filter((b) => b.status === "paused");
    if (!paused.length) return;
    const b = paused[this.pick % paused.length];
    await w.appResume(b.batchId);
    b.status = "active";
    this.said = `the application resumed its ${b.batchId}`;
  }
}

// ----- other processes: killed, short of disk, restored from the wrong artifact

/** A provider process killed at a chosen point of a create. */
export class Kill extends Base {
  constructor(
    readonly point: "before-status-write" | "after-status-write",
    readonly status: "paused" | "cancelled",
  ) {
    super();
  }
  label() {
    return `kill(create ${this.status}, ${this.point})`;
  }
  async exec(m: Model, w: World) {
    const held = w.proxy.hold(requestOf("POST", "/v3/user/scheduled_sends"), { afterApply: this.point === "after-status-write" });
    const res = await w.childCreate(w.dynamicInputs(this.status), { killWhen: held.arrived });
    await held.release("cut");
    if (res.killed) {
      m.leaked.push(...res.minted.filter((id) => !m.resources.some((r) => r.batchId === id)));
      this.said = `killed; printed ${res.minted.join(", ") || "nothing"}`;
      return;
    }
    this.said = recordChild(m, res.answer);
  }
}

/**
 * A provider process killed mid-DELETE: an update of a paused dynamic resource to active (the resume
 * is SendGrid's DELETE of the status) dies while its DELETE is in flight, before or after SendGrid
 * applies it. The engine records nothing for the killed update (the state keeps `paused`, with the
 * operation pending), so the next `pulumi up` runs the same update again; that run is recorded.
 */
export class KillMidDelete extends Base {
  constructor(
    readonly pick: number,
    readonly applied: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter === "dynamic" && r.status === "paused");
  }
  label() {
    return `kill-mid-delete(#${this.pick} paused → active, killed ${this.applied ? "after" : "before"} SendGrid applies the DELETE; the next up runs it again)`;
  }
  async exec(m: Model, w: World) {
    const paused = live(m).filter((r) => r.adapter === "dynamic" && r.status === "paused");
    if (!paused.length) return;
    const r = paused[this.pick % paused.length];
    await w.proxy.disarm(); // the kill is this command's fault; the next up's requests get through
    const held = w.proxy.hold(requestOf("DELETE", `/v3/user/scheduled_sends/${r.batchId}`), { afterApply: this.applied });
    const res = await w.childUpdate(r.batchId, r.props ?? {}, updateInputs(r, "active"), { killWhen: held.arrived });
    await held.release("cut");
    if (!res.killed) {
      const outs = res.answer?.outs ?? res.answer?.properties;
      if (outs) {
        r.status = outsStatus(outs);
        r.props = outs;
      }
      this.said = `not killed (no DELETE sent): ${res.answer?.error ?? `${r.name} ${r.status}`}`;
      return;
    }
    this.said = `killed (DELETE ${held.forwarded ? "reached" : "never reached"} SendGrid); next up: ${await hostUpdate(w, r, "active")}`;
  }
}

function recordChild(m: Model, answer: ChildAnswer | undefined): string {
  const name = newName(m, "dynamic");
  const before = handedIds(m);
  if (answer?.id && (answer.outs || answer.properties)) {
    const outs = (answer.outs ?? answer.properties) as Record<string, unknown>;
    noteTakeover(m, name, answer.id, before);
    record(m, { name, adapter: "dynamic", batchId: answer.id, status: outsStatus(outs), adopted: false, props: outs });
    return `${answer.error ? "failed, recorded" : "finished:"} ${name} = ${answer.id} ${outsStatus(outs)}`;
  }
  return `failed: ${answer?.error ?? "no answer"}`;
}

/**
 * Two provider processes on one journal at once: another process's create is held right after its
 * status write (alive, its batch minted and journaled, not yet handed) while this process creates.
 */
export class Concurrent extends Base {
  constructor(
    readonly status: "paused" | "cancelled",
    readonly adapter: "dynamic" | "plugin",
    readonly mine: BatchStatus,
  ) {
    super();
  }
  label() {
    return `concurrent(another process's create ${this.status} held after its status write; meanwhile create(${this.adapter}, ${this.mine}))`;
  }
  async exec(m: Model, w: World) {
    const held = w.proxy.hold(requestOf("POST", "/v3/user/scheduled_sends"), { afterApply: true });
    let meanwhile = "";
    const res = await w.childCreate(w.dynamicInputs(this.status), {
      meanwhile: {
        when: held.arrived,
        act: async () => {
          meanwhile = await hostCreate(m, w, this.adapter, { status: this.mine });
          await held.release("late");
        },
      },
    });
    await held.release("cut");
    this.said = `meanwhile ${meanwhile || "nothing (not held)"}; the other process: ${recordChild(m, res.answer)}`;
  }
}

/** The operator runs `clear-cancelled`, giving each cancelled batch's real latest send time (--sent). */
export class ClearCancelled extends Base {
  label() {
    return "clear-cancelled --sent <each batch's latest message time>";
  }
  async exec(m: Model, w: World) {
    const sent = new Map<string, number>();
    for (const x of m.messages) sent.set(x.batchId, Math.max(sent.get(x.batchId) ?? 0, x.sendAt));
    try {
      const res = await w.clearCancelled(sent);
      const cleared = res.out.filter((l) => /^cleared /i.test(l));
      this.said = `exit ${res.code}${cleared.length ? `; ${cleared.join("; ")}` : ""}`;
    } catch (err) {
      this.said = `failed: ${describe(err)}`;
    }
  }
}

/** About how long the `minted` line of a dynamic-provider create is (its pid's digits may differ by one or two). */
function mintedLineBytes(w: World): number {
  const line = {
    event: "minted",
    batchId: "x".repeat(32),
    run: "00000000-0000-4000-8000-000000000000",
    host: os.hostname(),
    pid: process.pid,
    // What a writer on this machine records of where it runs (Linux).
    pidns: procText(() => fs.readlinkSync("/proc/self/ns/pid")),
    boot: procText(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    time: new Date().toISOString(),
    account: accountKey({ apiUrl: w.proxy.url }),
  };
  return Buffer.byteLength(`${JSON.stringify(line)}\n`);
}

function procText(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
}

/** A create in a process whose disk fills up after `extraBytes` more bytes of journal. */
export class DiskFull extends Base {
  /** `extraBytes` "handed": the disk fills 40 bytes into the line after a `minted` line (the `handed` of a create that adopts nothing). */
  constructor(
    readonly extraBytes: number | "handed",
    readonly status: "paused" | "cancelled",
  ) {
    super();
  }
  label() {
    return `disk-full(create ${this.status}, journal may grow ${this.extraBytes === "handed" ? "to mid-`handed`" : `${this.extraBytes} bytes`})`;
  }
  async exec(m: Model, w: World) {
    const extra = this.extraBytes === "handed" ? mintedLineBytes(w) + 40 : this.extraBytes;
    const res = await w.childCreate(w.dynamicInputs(this.status), { fsizeBytes: w.journalSize() + extra });
    this.said = recordChild(m, res.answer);
  }
}

/** A `minted` line for the application's paused batch lands in the journal (hand-written, or restored from another run's artifact). */
export class ForgedLine extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.appBatches.length > 0;
  }
  label() {
    return `foreign-journal-line(the application's batch #${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const b = m.appBatches[this.pick % m.appBatches.length];
    const line = {
      event: "minted",
      batchId: b.batchId,
      run: `restored-${m.seq}`,
      host: os.hostname(),
      pid: w.deadPid(),
      time: new Date().toISOString(),
      account: accountKey({ apiUrl: w.proxy.url }),
    };
    w.appendJournalLine(JSON.stringify(line));
    this.said = `minted ${b.batchId}`;
  }
}

// ----- sendgrid-batches orphans

export class Orphans extends Base {
  constructor(readonly clear: boolean) {
    super();
  }
  label() {
    return `orphans${this.clear ? " --clear" : ""}`;
  }
  async exec(_m: Model, w: World) {
    try {
      const res = await w.orphans(this.clear);
      const cleared = res.out.filter((l) => l.startsWith("cleared "));
      this.said = `exit ${res.code}${cleared.length ? `; ${cleared.join("; ")}` : ""}`;
    } catch (err) {
      // The CLI prints the error and exits non-zero; what it did before stays done.
      this.said = `failed: ${describe(err)}`;
    }
  }
}

/** `orphans --clear` while a create runs: the create lands right before orphans' first DELETE is sent. */
export class OrphansRace extends Base {
  label() {
    return "orphans --clear racing create(dynamic, paused) + mail";
  }
  async exec(m: Model, w: World) {
    let raced = "";
    w.proxy.meanwhile(requestOf("DELETE", "/v3/user/scheduled_sends/"), async () => {
      raced = await hostCreate(m, w, "dynamic", { status: "paused" });
      const r = m.resources[m.resources.length - 1];
      if (r && !r.gone && raced.includes(r.batchId)) {
        const sent = await w.mail(r.batchId, 62 * HOURS);
        if (!("refused" in sent)) m.messages.push({ id: sent.id, batchId: r.batchId, owner: r.name, sendAt: sent.sendAt });
      }
    });
    let outcome: string;
    try {
      const res = await w.orphans(true);
      const cleared = res.out.filter((l) => l.startsWith("cleared "));
      outcome = `exit ${res.code}${cleared.length ? `; ${cleared.join("; ")}` : ""}`;
    } catch (err) {
      outcome = `failed: ${describe(err)}`;
    } finally {
      await w.proxy.disarm();
    }
    this.said = `${outcome}${raced ? `; meanwhile ${raced}` : "; no DELETE, no race"}`;
  }
}

// ----- the CloudFormation custom resource (the built bundle, warm)

export class LambdaCreate extends Base {
  constructor(
    readonly status: BatchStatus,
    readonly sendAtHours: number | null,
  ) {
    super();
  }
  label() {
    return `cfn-create(${this.status}${this.sendAtHours !== null ? `, SendAt ${this.sendAtHours}h` : ""})`;
  }
  async exec(m: Model, w: World) {
    const name = newName(m, "lambda");
    const sendAt = this.sendAtHours === null ? undefined : Math.floor(Date.now() / 1000) + this.sendAtHours * HOURS;
    const props = w.lambdaProps(this.status, sendAt);
    const before = handedIds(m);
    const answer = await w.lambdaEvent("Create", name, props);
    if (answer.Status === "SUCCESS") {
      noteTakeover(m, name, answer.PhysicalResourceId, before);
      record(m, { name, adapter: "lambda", batchId: answer.PhysicalResourceId, status: this.status, adopted: false, sendAt, props });
      this.said = `${name} = ${answer.PhysicalResourceId}`;
      return;
    }
    // CloudFormation rolls the failed Create back: a Delete of the id it was answered.
    const rollback = await w.lambdaEvent("Delete", name, props, { physicalId: answer.PhysicalResourceId });
    this.said = `FAILED (${answer.Reason?.slice(0, 80)}); rollback Delete ${rollback.Status}`;
  }
}

export class LambdaUpdate extends Base {
  constructor(
    readonly pick: number,
    readonly status: BatchStatus,
    readonly hang: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter === "lambda");
  }
  label() {
    return `cfn-update(#${this.pick} → ${this.status}${this.hang ? ", its first status write hangs past the deadline" : ""})`;
  }
  async exec(m: Model, w: World) {
    const r = pickLive(m, this.pick, ["lambda"]);
    if (!r?.props) return;
    const old = r.props;
    const next = { ...old, Status: this.status };
    const held = this.hang ? w.proxy.hold((q) => q.path.startsWith("/v3/user/scheduled_sends") && q.method !== "GET") : undefined;
    const answer = await w.lambdaEvent("Update", r.name, next, {
      physicalId: r.batchId,
      oldProps: old,
      remainingMs: this.hang ? 2500 : 30_000,
    });
    if (answer.Status === "SUCCESS") {
      await held?.release("cut");
      r.props = next;
      r.status = this.status;
      this.said = `${r.name} ${this.status}`;
      return;
    }
    // CloudFormation rolls back: an Update back to the old properties, same physical id.
    const rollback = await w.lambdaEvent("Update", r.name, old, { physicalId: r.batchId, oldProps: next });
    // The hung request never gets an answer: its connection is cut. Whatever the first event left
    // running may now act; wait until the link is quiet.
    await held?.release("cut");
    await w.quiet();
    this.said = `FAILED (${answer.Reason?.slice(0, 60)}); rollback ${rollback.Status}`;
  }
}

export class LambdaDelete extends Base {
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Model>) {
    return live(m).some((r) => r.adapter === "lambda");
  }
  label() {
    return `cfn-delete(#${this.pick})`;
  }
  async exec(m: Model, w: World) {
    const r = pickLive(m, this.pick, ["lambda"]);
    if (!r?.props) return;
    const answer = await w.lambdaEvent("Delete", r.name, r.props, { physicalId: r.batchId });
    if (answer.Status !== "SUCCESS") {
      this.said = `${r.name} FAILED (${answer.Reason?.slice(0, 80)})`;
      return;
    }
    // SUCCESS says SendGrid holds the batch cancelled: CloudFormation forgets the resource, whose
    // declared fate is now "cancelled" (a cancel refused near send_at is FAILED, the resource kept).
    const batch = (await w.admin.batches()).find((b) => b.batch_id === r.batchId);
    r.gone = "deleted";
    this.said = `${r.name} SUCCESS (${batch?.status})`;
  }
}

/** Every command, with how often each is drawn. */
export function commandArbitraries(): fc.Arbitrary<Cmd>[] {
  const adapter = fc.constantFrom<"dynamic" | "plugin">("dynamic", "plugin");
  const pick = fc.nat(20);
  const sendAtHours = fc.constantFrom<number | null>(null, null, 2, 30, -24);
  const paused = fc.constantFrom<"paused" | "cancelled">("paused", "paused", "cancelled");
  const lambdaCreate = fc
    .tuple(statusArb, fc.constantFrom<number | null>(null, 2, 30, -24, -24))
    .map(([s, h]) => (h !== null && h < 0 ? new LambdaCreate("active", h) : new LambdaCreate(s, h)));
  return [
    fc.tuple(adapter, statusArb, sendAtHours).map(([a, s, h]) => new Create(a, s, s === "active" || h === null || h > 0 ? h : null)),
    fc.tuple(adapter, pick, statusArb).map(([a, p, s]) => new Adopt(a, p, s)),
    pick.map((p) => new Import(p)),
    fc.tuple(pick, statusArb).map(([p, s]) => new Update(p, s)),
    pick.map((p) => new Refresh(p)),
    pick.map((p) => new Delete(p)),
    fc.tuple(pick, fc.nat(600)).map(([p, a]) => new Mail(p, a)),
    fc.tuple(pick, fc.nat(600)).map(([p, a]) => new Mail(p, a)),
    fc.constantFrom(120, 3600, 6 * HOURS).map((s) => new Clock(s)),
    pick.map((p) => new NearSend(p)),
    fc
      .tuple(
        fc.constantFrom<FaultKind>("500", "503", "429", "reset"),
        fc.constantFrom<FaultPhase>("before", "after"),
        fc.integer({ min: 1, max: 3 }),
      )
      .map(([k, ph, c]) => new Fault(k, ph, c)),
    fc.constant(null).map(() => new FillQuota()),
    pick.map((p) => new AppResume(p)),
    fc
      .tuple(fc.constantFrom<"before-status-write" | "after-status-write">("before-status-write", "after-status-write"), paused)
      .map(([pt, s]) => new Kill(pt, s)),
    fc.tuple(fc.integer({ min: 0, max: 700 }), paused).map(([b, s]) => new DiskFull(b, s)),
    pick.map((p) => new ForgedLine(p)),
    fc.tuple(paused, adapter, statusArb).map(([s, a, mine]) => new Concurrent(s, a, mine)),
    fc.tuple(pick, fc.boolean()).map(([p, applied]) => new KillMidDelete(p, applied)),
    fc.constant(null).map(() => new ClearCancelled()),
    fc.boolean().map((c) => new Orphans(c)),
    fc.constant(null).map(() => new OrphansRace()),
    // A stack lives long: its SendAt is often a past time by the time it changes or goes (a declared
    // past SendAt is accepted for an active batch only, so that is what such a template declares).
    lambdaCreate,
    lambdaCreate,
    fc.tuple(pick, statusArb, fc.boolean()).map(([p, s, h]) => new LambdaUpdate(p, s, h)),
    pick.map((p) => new LambdaDelete(p)),
  ];
}
