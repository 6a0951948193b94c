// Journal lines (core/journal.ts) as another process left them, and the journal read back as lines.
import * as fs from "node:fs";
import type { JournalEntry, JournalKey } from "../../core";

/** What a killed run on a CI runner wrote for `batchId`: a `minted` line (another host: that run is over). */
export function killedRunEntry(batchId: string, account: string, resource?: string): JournalEntry {
  return {
    event: "minted",
    batchId,
    run: `killed-${batchId}`,
    host: "ci-runner-7",
    pid: 4242,
    time: "2026-12-03T01:00:00.000Z",
    account,
    resource,
  };
}

/**
 * `e` as a line of the journal, with the MAC `key` makes over it (as the account's own runs write
 * it), or none (a hand-written or older line). Started and ended with "\n", so that any version's
 * reader takes it as a whole line, wherever it is appended.
 */
export function journalLine(e: JournalEntry, key?: JournalKey): string {
  const { mac: _ignored, ...content } = e;
  return `\n${JSON.stringify(key ? { ...content, mac: key.mac(JSON.stringify(content)) } : content)}\n`;
}

/** Every line of the journal `file`, parsed (blank lines, which separate them, skipped). */
export function readJournal(file: string): JournalEntry[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JournalEntry);
}
