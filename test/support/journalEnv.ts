// Jest setup: a provider run in-process journals the batches it mints (core/journal.ts) into a
// file of this worker's own, never beside the repository's Pulumi.yaml.
import * as os from "node:os";
import * as path from "node:path";

process.env.SENDGRID_BATCH_JOURNAL ??= path.join(os.tmpdir(), `sgb-jest-journal-${process.pid}`, "journal.jsonl");
