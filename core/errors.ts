// SendGridError: what went wrong talking to SendGrid, validating input or keeping the journal, as
// a value with a stable `code`, the facts (SendGrid's status and words) and a neutral hint that each
// adapter may replace with its own words (ClientOptions.hints). The API key, headers and request
// config never reach a message. (The lifecycle's MustRecordError and PartialFailureError are not
// failures of a call but orders to record a batch that exists.)

export type ErrorCode =
  | "INVALID_INPUT"
  | "MISSING_API_KEY"
  | "BLANK_API_KEY"
  | "MALFORMED_API_KEY"
  | "AUTH_REJECTED"
  | "FORBIDDEN"
  | "INVALID_BATCH_ID"
  | "BATCH_NOT_FOUND"
  | "UNKNOWN_BATCH"
  | "JOURNAL_UNWRITABLE"
  | "BATCH_CLAIMED"
  | "BATCH_HELD"
  | "NOT_SENDGRID"
  | "STATUS_EXISTS"
  | "QUOTA_EXCEEDED"
  | "TOO_LATE"
  | "RATE_LIMITED"
  | "SENDGRID_UNAVAILABLE"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "BAD_REQUEST"
  | "UNEXPECTED_RESPONSE";

export interface SendGridErrorField {
  field: string | null;
  message: string;
}

export interface SendGridErrorInit {
  code: ErrorCode;
  message: string;
  status?: number;
  method?: string;
  path?: string;
  fields?: SendGridErrorField[];
  retryable?: boolean;
  /** For 429: when SendGrid's rate-limit window resets (epoch ms). */
  resetAt?: number;
  hint?: string;
}

export class SendGridError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly method?: string;
  readonly path?: string;
  readonly fields: SendGridErrorField[];
  readonly retryable: boolean;
  readonly resetAt?: number;
  readonly hint?: string;
  /** The message without the hint, for adapters that phrase their own advice. */
  readonly summary: string;

  constructor(init: SendGridErrorInit) {
    super(init.hint ? `${init.message}. ${init.hint}` : init.message);
    this.name = "SendGridError";
    this.code = init.code;
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.fields = init.fields ?? [];
    this.retryable = init.retryable ?? false;
    this.resetAt = init.resetAt;
    this.hint = init.hint;
    this.summary = init.message;
  }
}

/** An adapter's words for errors of some codes: what its user checks and does next (fixed, or given the error). */
export type Advice = Partial<Record<ErrorCode, string | ((err: SendGridError) => string)>>;

/**
 * `err` with the adapter's hint in place of the core's neutral one when `advice` has words for its
 * code: the client's errors (ClientOptions.hints) and the lifecycle's own (UNKNOWN_BATCH, TOO_LATE)
 * alike. Anything else as it is.
 */
export function advise<E>(err: E, advice: Advice): E | SendGridError {
  if (!(err instanceof SendGridError)) return err;
  const words = advice[err.code];
  if (words === undefined) return err;
  return new SendGridError({ ...err, message: err.summary, hint: typeof words === "string" ? words : words(err) });
}

/** A short, safe description of any thrown value (never includes request config or headers). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
