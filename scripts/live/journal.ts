// The journal: every batch id the live suite made, written the moment SendGrid answers, so that
// `npm run test:live -- --clean-up` can free what a killed run left holding a slot. It is a local
// file outside the repo (it holds real ids), keyed by a fingerprint of the account, never the key.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export interface JournalEntry {
  id: string;
  /** sha256 of target, key and on-behalf-of, cut to 16 hex digits: which account the id belongs to. */
  account: string;
  createdAt: string;
}

/** Where the journal lives: SENDGRID_LIVE_JOURNAL, else the project's cache directory. */
export function journalPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SENDGRID_LIVE_JOURNAL) return env.SENDGRID_LIVE_JOURNAL;
  const cache = env.SENDGRID_BATCH_CACHE ?? path.join(homedir(), ".cache", "pulumi-sendgrid-scheduled-batch");
  return path.join(cache, "live-journal.json");
}

export function accountFingerprint(target: string, apiKey: string, onBehalfOf: string | undefined): string {
  return createHash("sha256")
    .update(`${target}\n${apiKey}\n${onBehalfOf ?? ""}`)
    .digest("hex")
    .slice(0, 16);
}

export class Journal {
  constructor(readonly file: string) {}

  read(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return [];
    }
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) throw new Error(`${this.file} is not a live-suite journal (expected a JSON array)`);
    return parsed as JournalEntry[];
  }

  add(entry: JournalEntry): void {
    this.write([...this.read(), entry]);
  }

  /** Forget ids whose slot is known to be free. */
  remove(ids: Iterable<string>): void {
    const gone = new Set(ids);
    this.write(this.read().filter((e) => !gone.has(e.id)));
  }

  private write(entries: JournalEntry[]): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    // Write then rename: a run killed mid-write never leaves half a journal.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
