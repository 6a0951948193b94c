// Public types of the local SendGrid emulator: start options, run-time config and the JSON shapes
// of the inspection API under /__emulator/.

/** Ways a request can be made to fail on purpose (see FaultOptions). */
export type FaultKind = "500" | "503" | "reset" | "slow" | "429";
export const FAULT_KINDS: readonly FaultKind[] = ["500", "503", "reset", "slow", "429"];

/**
 * When a fault strikes relative to the real work:
 * - "before": the request is not processed at all;
 * - "after": the request is processed (state changes) and THEN its response is replaced by the fault,
 *   the realistic ambiguous failure a client must survive;
 * - "mixed": each fault picks one of the two (from the same seeded generator).
 */
export type FaultPhase = "before" | "after" | "mixed";

export interface FaultOptions {
  /** Seed of the generator: the same seed and the same request sequence give the same faults. */
  seed: number;
  /** Probability (0..1) that a /v3 request is faulted. */
  rate: number;
  kinds: FaultKind[];
  /** Delay of a "slow" fault, default 2000 ms. */
  slowMs?: number;
  phase?: FaultPhase;
  /** At most this many faulted requests in a row (the next one then passes), default unlimited. */
  maxConsecutive?: number;
}

export interface RateLimitOptions {
  /** Requests allowed per window, per API key and endpoint (method + path template). */
  limit: number;
  windowSeconds: number;
}

/** What the 10-minute rule does when a pause/cancel comes too late. */
export type LateChange = "reject" | "accept";
/** What `GET /v3/user/scheduled_sends/{id}` answers for a batch without a status. */
export type SingleReadWithoutStatus = "empty" | "404";

/**
 * Answers SendGrid does not document, each of which the emulator guesses (emulator/README.md,
 * "Assumptions"). A recording of the real API that disagrees is matched by setting the case's
 * answer here, without code changes (scripts/live derives these from a recording).
 * - `lateChange`: a pause/cancel refused by the 10-minute rule (default 400, field batch_id, EMULATOR_MESSAGES.tooLate);
 * - `samePatch`: PATCH to the status the batch already has (default 204, nothing changes);
 * - `malformedId.<route>`: a batch id outside SendGrid's character set (`[A-Za-z0-9_-]`, alphanumeric
 *   first) on each batch-id route (default: answered like any unknown id).
 */
export const UNDOCUMENTED_CASES = [
  "lateChange",
  "samePatch",
  "malformedId.validate",
  "malformedId.read",
  "malformedId.create",
  "malformedId.update",
  "malformedId.delete",
] as const;
export type UndocumentedCase = (typeof UNDOCUMENTED_CASES)[number];

/** A fixed answer: the status and the JSON body (none: an empty body, as for 204). State does not change. */
export interface CannedReply {
  status: number;
  body?: unknown;
}

export type UndocumentedReplies = Partial<Record<UndocumentedCase, CannedReply>>;

/** The settings that can change while the emulator runs (`PUT /__emulator/config`). */
export interface EmulatorConfig {
  maxPausedOrCancelled: number;
  lateChange: LateChange;
  singleReadWithoutStatus: SingleReadWithoutStatus;
  /** Answers to cases SendGrid does not document, replacing the emulator's guess (default none). */
  undocumented: UndocumentedReplies;
  rateLimit: RateLimitOptions | false;
  faults: FaultOptions | false;
}

export interface EmulatorOptions extends Partial<EmulatorConfig> {
  /** Default 0: a random free port. */
  port?: number;
  /** Default "127.0.0.1". Anything but a loopback address is refused unless `allowRemote`. */
  host?: string;
  /** Allow binding a non-loopback host (the emulator has no real security). */
  allowRemote?: boolean;
  /** API keys accepted, each its own parent account (`account-1`, `account-2`, …). */
  apiKeys?: string[];
  /** Usernames reachable with the `on-behalf-of` header from every account. */
  subusers?: string[];
  /** Initial clock, unix seconds. Default: real time. The clock then runs with real time. */
  now?: number;
}

export interface Emulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The lifecycle state of a batch as the emulator shows it. */
export type BatchState = "active" | "paused" | "cancelled";

/** What happened (or will happen) to one queued message. */
export type MessageFate = "scheduled" | "delivered" | "discarded" | "expired";

/** One entry of `GET /__emulator/requests`. The Authorization header is never kept. */
export interface RequestLogEntry {
  seq: number;
  /** Real time of arrival, ISO 8601. */
  time: string;
  /** Emulator clock at arrival, unix seconds. */
  clock: number;
  method: string;
  /** Path as requested, with the query string. */
  path: string;
  /** Route template when the path is a known SendGrid route, e.g. `/v3/user/scheduled_sends/{batch_id}`. */
  route: string | null;
  /** Status sent, or null when the connection was reset by a fault. */
  status: number | null;
  /** The parent account of the key, null when unauthenticated. */
  account: string | null;
  onBehalfOf: string | null;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON, or null when empty. */
  body: unknown;
  fault: { kind: FaultKind; phase: "before" | "after" } | null;
}

/** One entry of `GET /__emulator/batches`. */
export interface BatchView {
  batch_id: string;
  account: string;
  onBehalfOf: string | null;
  status: BatchState;
  /** Emulator clock, unix seconds. */
  createdAt: number;
  /** When the status last changed (creation time when never changed). */
  statusChangedAt: number;
}

/** One entry of `GET /__emulator/messages`: one message per personalization of a mail send. */
export interface MessageView {
  id: string;
  account: string;
  onBehalfOf: string | null;
  batch_id: string | null;
  send_at: number;
  createdAt: number;
  fate: MessageFate;
  /** When the fate was reached, null while scheduled. */
  fateAt: number | null;
  to: string[];
  subject: string | null;
}

/** Body of `POST /__emulator/messages`. `account` defaults to `account-1`. */
export interface SeedMessageInput {
  account?: string;
  onBehalfOf?: string | null;
  batch_id?: string | null;
  send_at: number;
  to?: string[];
  subject?: string;
}

/** Body of `GET|POST /__emulator/clock` responses. */
export interface ClockView {
  now: number;
}
