// The provenance journal: proof of which batches this tool minted and never handed to a host.
//
// Why it exists: `pulumi up` creates a batch in two requests (POST /v3/mail/batch, then the status
// write) and the engine learns the id only when the create returns. A run killed in between leaves
// a batch that holds one of the account's 10 quota slots and that no state records. Absence from a
// state file proves nothing (ids a stack used to hold, and batches made outside Pulumi, are absent
// too), and clearing the status of a batch that carries mail releases that mail. The journal is the
// positive proof instead: an id is written (and fsynced) right after it is minted, before its
// status write, and marked `handed` (fsynced) right before the create returns it to the engine. An
// id minted and never handed never reached the engine, so it never reached a program and no Mail
// Send request carries it: only such an id may be adopted by a later create or cleared.
//
// The file is JSON Lines, appended with O_APPEND (one write per line, so concurrent runs on one
// machine interleave whole lines). It holds ids, accounts (host and subuser) and resource names,
// never a key.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SendGridError, describeError } from "./errors";

/** Where the journal is when SENDGRID_BATCH_JOURNAL is unset: beside the program (the host's working directory). */
export const DEFAULT_JOURNAL_PATH = path.join(".sendgrid-batches", "journal.jsonl");
export const JOURNAL_ENV = "SENDGRID_BATCH_JOURNAL";

type JournalEvent = "minted" | "handed" | "claimed" | "cleared";

export interface JournalEntry {
  event: JournalEvent;
  batchId: string;
  /** The process that wrote the line: one run of a host (a provider process, a CLI call). */
  run: string;
  host: string;
  pid: number;
  time: string;
  /** For `minted`: the account (API origin and subuser, as `accountLabel`), and the resource when the host names it. */
  account?: string;
  resource?: string;
}

/** This process's run: every line it writes carries it, so a reader can tell whose line it is. */
const RUN = { run: randomUUID(), host: os.hostname(), pid: process.pid };

/** Whether the process that wrote `e` may still be running: on this machine and its pid alive. Elsewhere: assumed gone. */
export function mayBeRunning(e: Pick<JournalEntry, "host" | "pid" | "run">): boolean {
  if (e.run === RUN.run) return true;
  if (e.host !== RUN.host) return false;
  try {
    process.kill(e.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by someone else
  }
  return !isZombie(e.pid);
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
  /** Handed to a host (the engine may have recorded it and given it to a program): never proof. */
  handed: boolean;
  cleared: boolean;
  /** Claims by later creates that meant to adopt it, oldest first. */
  claims: JournalEntry[];
}

export class Journal {
  private offset = 0;
  private readonly cache: JournalEntry[] = [];
  constructor(readonly file: string) {}

  /** Make sure the journal can be written, before anything is minted (a clear error instead of an unrecorded id). */
  ensureWritable(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.closeSync(fs.openSync(this.file, "a"));
    } catch (err) {
      throw new SendGridError({
        code: "JOURNAL_UNWRITABLE",
        message: `cannot write the batch journal ${this.file} (${(err as NodeJS.ErrnoException).code ?? describeError(err)}); no batch was created`,
        hint: `Set ${JOURNAL_ENV} to a writable file (keep it, e.g. as a CI artifact: it proves which batches an interrupted run left), or to "off" to run without it`,
      });
    }
  }

  /** Append one line and fsync it: when this returns, the line survives a crash of this process or machine. */
  append(event: JournalEvent, batchId: string, extra: Pick<JournalEntry, "account" | "resource"> = {}): JournalEntry {
    const entry: JournalEntry = { event, batchId, ...RUN, time: new Date().toISOString(), ...extra };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(this.file, "a");
    try {
      fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return entry;
  }

  /**
   * Every well-formed line, read incrementally (a create reads only what was appended since the
   * last read). A line cut short by a crash proves nothing and is skipped. Missing file: none.
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
        const text = buf.toString("utf8");
        const end = text.lastIndexOf("\n") + 1; // an unfinished last line is read next time
        this.offset += Buffer.byteLength(text.slice(0, end));
        for (const line of text.slice(0, end).split("\n")) this.parse(line);
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.cache;
  }

  private parse(line: string): void {
    if (!line.trim()) return;
    try {
      const e = JSON.parse(line) as Partial<JournalEntry>;
      if (typeof e.event === "string" && typeof e.batchId === "string" && typeof e.run === "string") this.cache.push(e as JournalEntry);
    } catch {
      // torn or foreign line: ignored
    }
  }

  /** Each minted id and its history, in the order minted. */
  minted(): MintedBatch[] {
    const byId = new Map<string, MintedBatch>();
    const entries = this.entries();
    for (const e of entries)
      if (e.event === "minted" && !byId.has(e.batchId)) byId.set(e.batchId, { minted: e, handed: false, cleared: false, claims: [] });
    for (const e of entries) {
      const b = byId.get(e.batchId);
      if (!b) continue;
      if (e.event === "handed") b.handed = true;
      else if (e.event === "cleared") b.cleared = true;
      else if (e.event === "claimed") b.claims.push(e);
    }
    return [...byId.values()];
  }

  /**
   * Ids of `account` that a run which is over minted and never handed to a host, and that no
   * running process has claimed: proof the id reached no program. Those minted for `resource`
   * come first.
   */
  unsettled(account: string, resource?: string): MintedBatch[] {
    const open = this.minted().filter(
      (b) => !b.handed && !b.cleared && b.minted.account === account && !mayBeRunning(b.minted) && !b.claims.some((c) => mayBeRunning(c)),
    );
    return [
      ...open.filter((b) => resource !== undefined && b.minted.resource === resource),
      ...open.filter((b) => !(resource !== undefined && b.minted.resource === resource)),
    ];
  }

  /**
   * Claim one unsettled id of `account` for a create of this process; undefined when there is
   * none. A claim is a line of its own, and the first live claim after the mint wins, so two
   * processes on one machine never adopt the same batch. Synchronous: within this process no other
   * create can run between the read and the claim.
   */
  claim(account: string, resource?: string): string | undefined {
    for (const candidate of this.unsettled(account, resource)) {
      this.append("claimed", candidate.minted.batchId);
      const first = this.minted()
        .find((b) => b.minted.batchId === candidate.minted.batchId)
        ?.claims.find((c) => mayBeRunning(c));
      if (first?.run === RUN.run) return candidate.minted.batchId;
    }
    return undefined;
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
