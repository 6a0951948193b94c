// Vocabulary shared by every adapter (Pulumi provider, Lambda, CLI). No I/O here.

/** The lifecycle state of a scheduled-send batch, as this project names it. */
export type BatchStatus = "active" | "paused" | "cancelled";
export const BATCH_STATUSES: readonly BatchStatus[] = ["active", "paused", "cancelled"];

/** SendGrid's data-residency regions (`global` → api.sendgrid.com, `eu` → api.eu.sendgrid.com). */
export type Region = "global" | "eu";
export const REGIONS: readonly Region[] = ["global", "eu"];

/** Everything needed to reach one SendGrid account. */
export interface ConnectionSettings {
  apiKey: string;
  /** Subuser username (or `account-id <id>`) sent as the `on-behalf-of` header. */
  onBehalfOf?: string;
  region?: Region;
  /** Explicit API base URL (the emulator); https, or http for loopback hosts only. */
  apiUrl?: string;
}

/** The user-facing description of one batch, after validation and defaults. */
export interface BatchSpec {
  status: BatchStatus;
  /** Unix seconds of the batch's send time when the user declared it (used for rule checks only). */
  sendAt?: number;
  /** Adopt this existing batch instead of creating one. */
  batchId?: string;
  onBehalfOf?: string;
  region?: Region;
  apiUrl?: string;
}
