// The provenance journal: proof of which batches this tool minted and never handed to a host.
//
// Why it exists: `pulumi up` creates a batch in two requests (POST /v3/mail/batch, then the status
// write) and the engine learns the id only when the create returns. A run killed in between leaves
// a batch that holds one of the account's 10 quota slots and that no state records. Absence from a
// state file proves nothing (ids a stack used to hold, and batches made outside Pulumi, are absent
// too), and clearing the status of a batch that carries mail releases that mail. The journal is the
// positive proof instead: an id is written (and fsynced) right after it is minted, before its
// status write, and marked `handed` (fsynced) before any route gives it to the engine (a create's
// return, an adoption by `batchId`, an import or a read). An id minted and never handed never reached
// the engine through this journal: only such an id may be cleared (`sendgrid-batches orphans
// --clear`, which also reads the stacks' exports, since a journal restored from an older copy lacks
// later `handed` lines), and only by one process at a time (a `claimed` line). No create takes such
// an id over: a create cannot tell a pending create from the replacement of a resource the engine
// still holds.
//
// A line is proof only when this account's API key wrote it: each line carries an HMAC of its
// content under a key derived from the API key (JournalKey), so a hand-written line, or one written
// with another account's key, proves nothing. Lines without a valid MAC stay readable (and a
// `handed`, `claimed` or `cleared` line still keeps a batch out of reach: it can only protect).
//
// The file is JSON Lines, appended with O_APPEND, one write per line, each written between two
// "\n" (so lines are separated by blank ones): a line cut short (a full disk) is ended by the next
// line's leading "\n" and skipped, and never swallows the next line. It holds ids, accounts (host
// and subuser), resource names and MACs, never a key.

import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SendGridError, describeError } from "./errors";

/** The holder BATCH_HELD names for a `handed` line that names no resource. */
export const UNNAMED_HOLDER = "a resource the journal does not name (a line an earlier version wrote)";

/** Where the journal is when SENDGRID_BATCH_JOURNAL is unset: beside the program (the host's working directory). */
export const DEFAULT_JOURNAL_PATH = path.join(".sendgrid-batches", "journal.jsonl");
export const JOURNAL_ENV = "SENDGRID_BATCH_JOURNAL";

/** Batch ids (comma-separated) whose former holders the user removed from their stacks: an import may take them. */
export const RELEASED_ENV = "SENDGRID_BATCH_RELEASED";

export function releasedIds(env: Record<string, string | undefined> = process.env): ReadonlySet<string> {
  return new Set(
    (env[RELEASED_ENV] ?? "")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean),
  );
}

type JournalEvent = "minted" | "handed" | "claimed" | "cleared" | "passed" | "withdrawn";

/**
 * The route by which a `handed` line gave an id to the engine: a create that minted it, an adoption
 * by `batchId`, an import, or a refresh of a resource that already holds it. Only the first three
 * make a new holder (Journal.handedAfter); lines of an earlier build say none.
 */
export type HandedVia = "create" | "adopt" | "import" | "read";

/** The routes that make a resource a new holder of an id. */
const NEW_HOLDER: ReadonlySet<HandedVia> = new Set(["create", "adopt", "import"]);

/**
 * The small marker of a resource's own `handed` line that its state records ("<time> <run>"): its
 * Delete finds that line and asks whether a later one gave the id to another holder.
 */
export function handedMarker(e: Pick<JournalEntry, "time" | "run">): string {
  return `${e.time} ${e.run}`;
}

/** Who writes a line: one run of a host (a provider process, a CLI call). */
export interface JournalWriter {
  run: string;
  host: string;
  pid: number;
  /**
   * Linux: the writer's pid namespace (`/proc/self/ns/pid`, e.g. "pid:[4026531836]"): its pid means
   * something only to a reader in the same namespace (a container can share the host name).
   */
  pidns?: string;
  /** Linux: the boot the writer ran in (`/proc/sys/kernel/random/boot_id`): another boot's process is over. */
  boot?: string;
}

export interface JournalEntry extends JournalWriter {
  event: JournalEvent;
  batchId: string;
  time: string;
  /** For `minted`: the account (API origin and subuser, as `accountLabel`); for `minted` and `handed`, the resource when the host names it. */
  account?: string;
  resource?: string;
  /** For `handed`: the route (see HandedVia). */
  via?: HandedVia;
  /** For `withdrawn`: the marker (handedMarker) of the `handed` line whose adoption failed. */
  of?: string;
  /** HMAC-SHA256 (hex) of the line without this field, under the writer's JournalKey. */
  mac?: string;
}

/**
 * The key a line's MAC is made with: SHA-256 of a fixed label and the API key. It proves that the
 * account's key wrote a line, and cannot be turned back into the API key. Not enumerable, not
 * printed: only `mac` uses it.
 */
export class JournalKey {
  readonly #key: Buffer;
  constructor(apiKey: string) {
    this.#key = createHash("sha256").update(`sendgrid-batch journal v1\n${apiKey}`).digest();
  }
  mac(payload: string): string {
    return createHmac("sha256", this.#key).update(payload).digest("hex");
  }
  /** Whether `e` carries a MAC this key made over its content. */
  wrote(e: JournalEntry): boolean {
    if (typeof e.mac !== "string" || !/^[0-9a-f]{64}$/.test(e.mac)) return false;
    const { mac, ...content } = e;
    return timingSafeEqual(Buffer.from(mac, "hex"), Buffer.from(this.mac(JSON.stringify(content)), "hex"));
  }
  toJSON(): string {
    return "[journal key]";
  }
}

/** What this process knows of where it runs (Linux), for the liveness of its lines; undefined elsewhere. */
function readProc(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** This process's run: every line it writes carries it (unless a Journal is given another writer). */
const RUN: JournalWriter = {
  run: randomUUID(),
  host: os.hostname(),
  pid: process.pid,
  pidns: readProc(() => fs.readlinkSync("/proc/self/ns/pid")),
  boot: readProc(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
};

/**
 * Whether the process that wrote `e` is still running, as far as `self` can tell:
 * - "alive": `self`, or its pid answers in the same pid namespace of the same boot (and is no zombie);
 * - "gone": another host name (another machine: the stack lock and the export's pending operations
 *   are the guards there), another boot of this one, or its pid answers nothing here;
 * - "unknown": the same host name and boot but another pid namespace (a container sharing the host
 *   name: its pids mean nothing here), or a line that does not say its namespace (an earlier build,
 *   or a reader or writer without /proc) while the other side does. Never proof that it is over.
 */
export function liveness(
  e: Pick<JournalEntry, "host" | "pid" | "run" | "pidns" | "boot">,
  self: JournalWriter = RUN,
): "alive" | "gone" | "unknown" {
  if (e.run === self.run) return "alive";
  if (e.host !== self.host) return "gone";
  if (e.boot !== undefined && self.boot !== undefined && e.boot !== self.boot) return "gone";
  if (e.pidns !== self.pidns) return "unknown";
  try {
    process.kill(e.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? "alive" : "gone"; // EPERM: alive, owned by someone else
  }
  return isZombie(e.pid) ? "gone" : "alive";
}

/** Whether the process that wrote `e` may still be running (see `liveness`: anything but "gone"). */
export function mayBeRunning(e: Pick<JournalEntry, "host" | "pid" | "run" | "pidns" | "boot">, self: JournalWriter = RUN): boolean {
  return liveness(e, self) !== "gone";
}

/**
 * A killed process whose parent died too stays a zombie until someone reaps it (in a container,
 * often nobody): it answers signal 0 but runs nothing. Linux only; elsewhere it counts as running.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

/** An id minted by some run, with what the journal says happened to it since. */
export interface MintedBatch {
  minted: JournalEntry;
  /** The `minted` line carries a MAC of the key asked about: only then can it be proof. */
  signed: boolean;
  /** Handed to a host (the engine may have recorded it and given it to a program): never proof. */
  handed: boolean;
  cleared: boolean;
  /** Claims by `orphans --clear` (or an earlier build's create) that meant to act on it, oldest first. */
  claims: JournalEntry[];
}

/** Why a batch the journal lists is not proof that its id reached no program (Journal.notProof). */
export type NotProof = "not-signed" | "handed" | "cleared" | "running" | "unchecked" | "claimed" | "other-account";

export interface JournalOptions {
  /** Whose lines this instance writes (default: this process's run). */
  writer?: JournalWriter;
}

export class Journal {
  private offset = 0;
  private readonly cache: JournalEntry[] = [];
  readonly writer: JournalWriter;
  constructor(
    readonly file: string,
    opts: JournalOptions = {},
  ) {
    this.writer = opts.writer ?? RUN;
  }

  /** Make sure the journal can be written, before anything is minted (a clear error instead of an unrecorded id). */
  ensureWritable(): void {
    try {
      this.makeDir();
      fs.closeSync(fs.openSync(this.file, "a"));
    } catch (err) {
      throw new SendGridError({
        code: "JOURNAL_UNWRITABLE",
        message: `cannot write the batch journal ${this.file} (${(err as NodeJS.ErrnoException).code ?? describeError(err)}); no batch was created`,
        hint: `Set ${JOURNAL_ENV} to a writable file (keep it, e.g. as a CI artifact: it proves which batches an interrupted run left), or to "off" to run without it`,
      });
    }
  }

  /** The journal's folder; one this creates gets a .gitignore of "*", so the journal is no untracked file of the user's repository. */
  private makeDir(): void {
    const dir = path.dirname(this.file);
    if (fs.mkdirSync(dir, { recursive: true }) !== undefined) {
      try {
        fs.writeFileSync(
          path.join(dir, ".gitignore"),
          "# The batch journal of sendgrid-batch (keep it, e.g. as a CI artifact; do not commit it)\n*\n",
          { flag: "wx" },
        );
      } catch {
        // a .gitignore already there (or a read-only folder the journal will report) is left as it is
      }
    }
  }

  /**
   * Append one line signed with `key` and fsync it: when this returns, the whole line survives a
   * crash of this process or machine. A short or failed write (a full disk, a file size limit)
   * throws JOURNAL_UNWRITABLE; the part written, if any, is a torn line that proves nothing.
   */
  append(
    event: JournalEvent,
    batchId: string,
    key: JournalKey,
    extra: Pick<JournalEntry, "account" | "resource" | "via" | "of"> = {},
  ): JournalEntry {
    const content: JournalEntry = { event, batchId, ...this.writer, time: new Date().toISOString(), ...extra };
    const entry: JournalEntry = { ...content, mac: key.mac(JSON.stringify(content)) };
    // Started with "\n" too: a line a failed write left unfinished (this or another process's) is
    // ended there, and never swallows this one.
    const line = Buffer.from(`\n${JSON.stringify(entry)}\n`);
    let fd: number | undefined;
    try {
      this.makeDir();
      fd = fs.openSync(this.file, "a");
      for (let done = 0; done < line.length; ) {
        const n = fs.writeSync(fd, line, done, line.length - done);
        if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
        done += n;
      }
      fs.fsyncSync(fd);
    } catch (err) {
      throw new SendGridError({
        code: "JOURNAL_UNWRITABLE",
        message: `could not write the ${event} line of batch ${batchId} to the batch journal ${this.file} (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`,
        hint: `Free space for it or set ${JOURNAL_ENV} to a writable file (keep it, e.g. as a CI artifact: it proves which batches an interrupted run left)`,
      });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return entry;
  }

  /**
   * Every well-formed line, read incrementally (a create reads only what was appended since the
   * last read). A line cut short (a crash, a full disk) proves nothing and is skipped. Missing file: none.
   */
  entries(): JournalEntry[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return this.cache;
      throw err;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset);
        fs.readSync(fd, buf, 0, buf.length, this.offset);
        // Everything before the last "\n" byte is finished; what follows it is a line still being
        // written (read again next time), or one a failed write cut short, or a line someone appended
        // without its "\n": finished when it parses (a JSON object cut short never does). The offset
        // moves by raw bytes, never by the length of decoded text: a line cut inside a multi-byte
        // character decodes to U+FFFD, longer than the bytes it replaces.
        let end = buf.lastIndexOf(0x0a) + 1;
        const last = buf.subarray(end).toString("utf8");
        if (last && this.parse(last, false)) end = buf.length;
        this.offset += end;
        for (const line of buf.subarray(0, end).toString("utf8").split("\n")) this.parse(line, true);
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.cache;
  }

  /** Parse one line; keep it when `keep`. Whether it is a well-formed entry. */
  private parse(line: string, keep: boolean): boolean {
    if (!line.trim()) return false;
    try {
      const e = JSON.parse(line) as Partial<JournalEntry> | null;
      if (e && typeof e.event === "string" && typeof e.batchId === "string" && typeof e.run === "string") {
        if (keep) this.cache.push(e as JournalEntry);
        return true;
      }
    } catch {
      // torn or foreign line: ignored
    }
    return false;
  }

  /** Each minted id and its history, in the order minted; `signed` says whether `key` wrote its `minted` line. */
  minted(key?: JournalKey): MintedBatch[] {
    const byId = new Map<string, MintedBatch>();
    const entries = this.entries();
    for (const e of entries) {
      if (e.event !== "minted") continue;
      const signed = key?.wrote(e) === true;
      const known = byId.get(e.batchId);
      // The first line this key wrote is the mint; a line it did not write never replaces one it did.
      if (!known || (signed && !known.signed)) byId.set(e.batchId, { minted: e, signed, handed: false, cleared: false, claims: [] });
    }
    for (const e of entries) {
      const b = byId.get(e.batchId);
      if (!b) continue;
      // Any handed, cleared or claimed line counts, signed or not: each can only keep a batch out of reach.
      if (e.event === "handed") b.handed = true;
      else if (e.event === "cleared") b.cleared = true;
      else if (e.event === "claimed") b.claims.push(e);
    }
    return [...byId.values()];
  }

  /** Why `b` is not proof that its id reached no program (for `account`, by `key`), or undefined when it is. */
  notProof(b: MintedBatch, account: string): NotProof | undefined {
    if (!b.signed) return "not-signed";
    if (b.minted.account !== account) return "other-account";
    if (b.handed) return "handed";
    if (b.cleared) return "cleared";
    const minter = liveness(b.minted, this.writer);
    if (minter === "alive") return "running";
    if (minter === "unknown") return "unchecked";
    if (b.claims.some((c) => mayBeRunning(c, this.writer))) return "claimed";
    return undefined;
  }

  /**
   * Ids of `account` that a run which is over minted (a line `key` wrote) and never handed to a
   * host, and that no running process has claimed: proof the id reached no program through this
   * journal.
   */
  unsettled(account: string, key: JournalKey): MintedBatch[] {
    return this.minted(key).filter((b) => this.notProof(b, account) === undefined);
  }

  /**
   * The resource the journal shows `batchId` handed to, when a line names one other than
   * `resource`, or names none (undefined: no `handed` line, or only lines naming `resource`). A line
   * that names no resource (written by an earlier version, whose dynamic resource was not named)
   * counts as held by a resource nobody can name, whoever asks: it proves the id reached a stack,
   * not which. Any such line counts, signed or not: it can only keep an adoption out.
   */
  heldElsewhere(batchId: string, resource: string | undefined): string | undefined {
    const line = this.entries().find(
      (e) => e.event === "handed" && e.batchId === batchId && (e.resource === undefined || e.resource !== resource),
    );
    if (line === undefined) return undefined;
    return line.resource ?? UNNAMED_HOLDER;
  }

  /**
   * Write a claim on `batchId` (a line of its own), then whether this writer holds the batch: see
   * `holds`. `orphans --clear` claims each batch this way before its DELETE, so two processes on
   * one machine never both act on one batch, and an adoption or import of it meanwhile is refused.
   */
  claimId(batchId: string, key: JournalKey): boolean {
    this.append("claimed", batchId, key);
    return this.holds(batchId);
  }

  /**
   * Whether this writer may act on `batchId` now: still minted and never handed or cleared, and
   * the first claim by a process that may be running is this writer's. Asked again right before
   * the DELETE that acts on it.
   */
  holds(batchId: string): boolean {
    const b = this.minted().find((m) => m.minted.batchId === batchId);
    if (!b || b.handed || b.cleared) return false;
    return b.claims.find((c) => mayBeRunning(c, this.writer))?.run === this.writer.run;
  }

  /**
   * Mark `batchId`, which this writer minted, handed (fsynced) before its create returns it; then
   * read the journal again. A `claimed` or `cleared` line of another process written before this
   * one means that process may have acted on the batch (`orphans --clear` claims, reads the journal
   * again, then DELETEs its status, which a liveness it could not tell right may allow): the id is
   * not handed (BATCH_CLAIMED), so no program gets an id whose status someone else may have
   * changed. A claim written after this line sees it and leaves the batch alone.
   */
  handMinted(batchId: string, key: JournalKey, resource?: string): JournalEntry {
    const mine = this.append("handed", batchId, key, { ...(resource === undefined ? {} : { resource }), via: "create" });
    const entries = this.entries();
    const at = entries.findIndex((e) => e.event === "handed" && e.mac === mine.mac);
    const other = entries
      .slice(0, at < 0 ? entries.length : at)
      .find((e) => e.batchId === batchId && e.run !== this.writer.run && (e.event === "claimed" || e.event === "cleared"));
    if (other)
      throw new SendGridError({
        code: "BATCH_CLAIMED",
        message: `batch ${batchId} was claimed by another process (pid ${other.pid} on ${other.host}, journal ${this.file}) while this create was running, and its status may have been cleared; it is not handed to the engine, so no program gets its id`,
        hint: "Run `pulumi up` again: the create mints a new batch (and `sendgrid-batches orphans` lists that one)",
      });
    return mine;
  }

  /**
   * Mark `batchId` handed, fsynced, before any route gives it to the engine (`via`: an adoption, an
   * import, a read); then read the journal again and refuse (BATCH_CLAIMED) when another process
   * claimed it first. An adoption or import counts every claim written before its line that its
   * writer did not settle (a `cleared` or `handed` line of the same run after it), whatever the
   * writer's liveness, as a create does (handMinted): a writer on another host name reads as over
   * even while its `orphans --clear` is between its claim and its DELETE. A refresh of an id its
   * stack already holds refuses only while the claimer may be running. A read of an id the journal
   * shows handed already writes nothing (it makes no new holder); an adoption or import always
   * writes its line, which its resource's state then records as its marker (handedMarker). The
   * line written, if any.
   */
  handOver(batchId: string, key: JournalKey, resource: string | undefined, via: Exclude<HandedVia, "create">): JournalEntry | undefined {
    const handed = this.entries().some((e) => e.event === "handed" && e.batchId === batchId);
    if (via === "read" && handed) return undefined;
    // Before the line (so a refusal leaves none) and after it (a claim that landed meanwhile).
    this.refuseClaimed(batchId, via, undefined);
    const mine = this.append("handed", batchId, key, { ...(resource === undefined ? {} : { resource }), via });
    this.refuseClaimed(batchId, via, mine);
    return mine;
  }

  /**
   * BATCH_CLAIMED when a claim on `batchId` by another run, written before `mine` (or at all), may
   * still be acted on: no `handed` line of the id before it (a claimer that finds one backs off,
   * Journal.holds), and no `cleared` or `handed` line of the claimer's run after it (it finished).
   * For an adoption or import whatever the claimer's liveness; for a refresh only while it may run.
   */
  private refuseClaimed(batchId: string, via: Exclude<HandedVia, "create">, mine: JournalEntry | undefined): void {
    const entries = this.entries();
    const at = mine === undefined ? -1 : entries.findIndex((e) => e.event === "handed" && e.mac === mine.mac);
    const lines = entries.slice(0, at < 0 ? entries.length : at).filter((e) => e.batchId === batchId);
    const other = lines.find(
      (c, i) =>
        c.event === "claimed" &&
        c.run !== this.writer.run &&
        !lines.slice(0, i).some((e) => e.event === "handed") &&
        !lines.slice(i + 1).some((e) => e.run === c.run && (e.event === "cleared" || e.event === "handed")) &&
        (via !== "read" || mayBeRunning(c, this.writer)),
    );
    if (!other) return;
    const verb = via === "import" ? "imported" : via === "adopt" ? "adopted" : "read";
    throw new SendGridError({
      code: "BATCH_CLAIMED",
      message: `batch ${batchId} was claimed by another process (pid ${other.pid} on ${other.host}, ${other.time}, journal ${this.file}) to take it over or clear its status, and the journal shows no end of it; not ${verb}, having sent nothing`,
      hint:
        via === "read"
          ? "Wait until that `pulumi up` or `sendgrid-batches orphans --clear` is over, then run again"
          : `Wait until that \`sendgrid-batches orphans --clear\` is over (it writes a \`cleared\` line), then ${via === "import" ? "`pulumi import` the batch" : "run `pulumi up`"} again. If it ended without one (interrupted, or its DELETE failed), run \`sendgrid-batches orphans --clear\` with this journal (${this.file}) to finish it first`,
    });
  }

  /**
   * The `handed` line, written with `key`, that gave `batchId` to a new holder (a create, an
   * adoption or an import: any resource, the same URN included) after the resource's own line
   * `marker` (handedMarker); undefined when there is none, or when the journal lacks the marker's
   * line (a journal restored from an older copy, another file: nothing to compare with). A line
   * `key` did not write proves nothing here: it must not spare a batch its cancel.
   */
  handedAfter(batchId: string, marker: string, key: JournalKey): JournalEntry | undefined {
    const entries = this.entries();
    const own = entries.findIndex((e) => e.event === "handed" && e.batchId === batchId && handedMarker(e) === marker);
    if (own < 0) return undefined;
    const later = entries.slice(own + 1).filter((e) => e.batchId === batchId && key.wrote(e));
    // An adoption that failed after its line (SendGrid refused its status write) gave the engine nothing.
    const withdrawn = new Set(later.flatMap((e) => (e.event === "withdrawn" && e.of !== undefined ? [e.of] : [])));
    return later.find((e) => e.event === "handed" && e.via !== undefined && NEW_HOLDER.has(e.via) && !withdrawn.has(handedMarker(e)));
  }
}

/**
 * The journal the environment names: SENDGRID_BATCH_JOURNAL (a file path, or `off`), else
 * DEFAULT_JOURNAL_PATH under `cwd`.
 */
export function journalFromEnv(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Journal | undefined {
  const configured = env[JOURNAL_ENV]?.trim();
  if (configured === "off") return undefined;
  const file = path.resolve(cwd, configured || DEFAULT_JOURNAL_PATH);
  let journal = journals.get(file);
  if (!journal) {
    journal = new Journal(file);
    journals.set(file, journal);
  }
  return journal;
}

/** One instance per file in a process, so its incremental read is shared by every create. */
const journals = new Map<string, Journal>();
