// Vocabulary shared by every adapter (Pulumi provider, Lambda, CLI). No I/O here.

import type { Region } from "./properties";

// The statuses, the regions and the batch's spec are the property table's (core/properties.ts).
export { BATCH_STATUSES, REGIONS, type BatchSpec, type BatchStatus, type Region } from "./properties";

/** Everything needed to reach one SendGrid account. */
export interface ConnectionSettings {
  apiKey: string;
  /** Subuser username (or `account-id <id>`) sent as the `on-behalf-of` header. */
  onBehalfOf?: string;
  region?: Region;
  /** Explicit API base URL (the emulator); https, or http for loopback hosts only. */
  apiUrl?: string;
}
