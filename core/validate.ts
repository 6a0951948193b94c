// Pure input validation shared by the Pulumi `check` and the Lambda. No I/O: preview and
// CloudFormation validation make zero SendGrid calls. Each failure names the property and the rule.

import { apiUrlProblem, canonicalOrigin } from "./account";
import type { ErrorCode } from "./errors";
import {
  BATCH_PROPERTIES,
  INPUT_PROPERTIES,
  type BatchProperty,
  type BatchSpec,
  type BatchStatus,
  type EnumSpec,
  type PropertySpec,
} from "./properties";
import { SENDGRID_LIMITS } from "./wire";

export interface Failure {
  property: string;
  reason: string;
}

/**
 * One failure as every adapter words it: the reason, prefixed with the property's name (as the
 * adapter spells it) unless the reason already names it.
 */
export function describeFailure(f: Failure): string {
  return f.reason.startsWith(f.property) || f.reason.includes(`"${f.property}"`) ? f.reason : `${f.property}: ${f.reason}`;
}

export interface ValidateOptions {
  /** The previously applied inputs, if any: timing rules apply only to what changes. */
  previous?: { status?: unknown; sendAt?: unknown };
  /** Current time in Unix seconds (for the 10-minute and 72-hour rules). */
  now: number;
  /** Values not known yet (Pulumi preview); they are skipped, not rejected. */
  isUnknown?: (value: unknown) => boolean;
}

/**
 * The Pulumi engine's placeholder for a value not known during preview (pulumi/pulumi#6310): the
 * Pulumi adapters pass it to `isUnknown`, so such a value is skipped, not rejected.
 */
export const ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A property the resource accepts (core/properties.ts). */
export type InputProperty = BatchProperty;
export { INPUT_PROPERTIES };

// SendGrid's batch ids: 32 URL-safe characters today (`HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi`, and the
// emulator's), 62 in the 2015 docs, 19 in the spec's placeholder. At least 16 is below every one of
// them, yet refuses "x" or "test", which can only be a typo or a made-up id (SendGrid rejects ids it
// did not mint). SendGrid's pattern anchors only an alphanumeric first character.
const MIN_BATCH_ID_LENGTH = 16;
const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{15,127}$/;

/** Whether `id` has the shape of a SendGrid batch id (not whether SendGrid knows it). */
export function isBatchId(id: unknown): id is string {
  return typeof id === "string" && BATCH_ID.test(id);
}
// ISO 8601 date-time with an explicit offset; a bare date or local time would depend on the machine's zone.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;
// Seconds after 5138-11-16 are certainly milliseconds (Date.now()), a common mistake with send_at.
const MAX_PLAUSIBLE_SECONDS = 1e11;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** `sendAt` as Unix seconds, or a reason why it cannot be read. */
export function parseSendAt(value: unknown): { seconds: number } | { reason: string } {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return { reason: `sendAt must be whole Unix seconds or an ISO 8601 date-time (got ${value})` };
    if (value <= 0) return { reason: `sendAt must be a positive Unix timestamp in seconds (got ${value})` };
    if (value >= MAX_PLAUSIBLE_SECONDS) {
      return { reason: `sendAt ${value} looks like milliseconds; SendGrid's send_at is Unix seconds (use ${Math.floor(value / 1000)})` };
    }
    return { seconds: value };
  }
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return parseSendAt(Number(trimmed));
    const iso = ISO_DATE_TIME.exec(trimmed);
    if (iso) {
      // Date.parse rolls an impossible date over ("2026-02-30" is 2 March, "T24:00" the next
      // day): a send time nobody meant. Each field must be in range as written.
      const impossible = impossibleDateTime(iso);
      if (impossible) return { reason: `sendAt ${JSON.stringify(value)} is not a real date-time: ${impossible}` };
      const ms = Date.parse(trimmed);
      if (Number.isFinite(ms)) return { seconds: Math.floor(ms / 1000) };
    }
    return {
      reason: `sendAt must be Unix seconds or an ISO 8601 date-time with a zone, e.g. "2026-12-01T09:00:00Z" (got ${JSON.stringify(value)})`,
    };
  }
  return { reason: `sendAt must be a number of Unix seconds or an ISO 8601 string (got ${typeof value})` };
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Why the fields of an ISO_DATE_TIME match do not name a real moment, or undefined. */
function impossibleDateTime(m: RegExpExecArray): string | undefined {
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12) return `the month must be 01–12 (got ${m[2]})`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${m[1]} has ${days} days (got day ${m[3]})`;
  if (hour > 23) return `the hour must be 00–23 (got ${m[4]}; midnight at the end of a day is T00:00 of the next)`;
  if (minute > 59) return `the minutes must be 00–59 (got ${m[5]})`;
  if (second > 59) return `the seconds must be 00–59 (got ${m[6]})`;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return `the zone offset must be at most ±23:59 (got ${m[8]})`;
  return undefined;
}

/** Why an API key cannot be used: a code and a reason that names no adapter's setting. */
export interface ApiKeyProblem {
  code: Extract<ErrorCode, "MISSING_API_KEY" | "BLANK_API_KEY" | "MALFORMED_API_KEY">;
  reason: string;
}

/**
 * Why an API key cannot be used, or undefined. The key itself never appears in the reason, and
 * neither does where a key comes from: each adapter says that (Pulumi config, the environment, a
 * Secrets Manager secret) in its own words.
 */
export function apiKeyProblem(key: string | undefined): ApiKeyProblem | undefined {
  if (key === undefined) return { code: "MISSING_API_KEY", reason: "no SendGrid API key" };
  if (key.trim() === "") return { code: "BLANK_API_KEY", reason: "the SendGrid API key is blank" };
  if (/\s/.test(key) || CONTROL_CHARS.test(key)) {
    return {
      code: "MALFORMED_API_KEY",
      reason: "the SendGrid API key contains whitespace or control characters (copy it again without spaces or line breaks)",
    };
  }
  return undefined;
}

function isNonActive(status: unknown): status is Exclude<BatchStatus, "active"> {
  return status === "paused" || status === "cancelled";
}

/** A property's value as the spec holds it, or why it cannot be read. */
type Read = { value: unknown } | { reason: string };

/**
 * SendGrid's own rules for a property's value, keyed by property: each words its refusal in the
 * property's terms (a wrong type included). A property with no rule here is read by its type and
 * enum in the table (core/properties.ts).
 */
const RULES: Partial<Record<BatchProperty, (value: unknown) => Read>> = {
  sendAt: (v) => {
    const parsed = parseSendAt(v);
    return "reason" in parsed ? parsed : { value: parsed.seconds };
  },
  batchId: (v) =>
    isBatchId(v)
      ? { value: v }
      : {
          reason: `batchId must be a SendGrid batch id from POST /v3/mail/batch (letters, digits, "-" and "_", at least ${MIN_BATCH_ID_LENGTH} and up to 128 characters; got ${JSON.stringify(v)})`,
        },
  onBehalfOf: (v) =>
    typeof v !== "string" || v.trim() === "" || v.length > 256 || CONTROL_CHARS.test(v) || v !== v.trim()
      ? {
          reason: `onBehalfOf must be a subuser's username or "account-id <id>", without surrounding spaces or line breaks (got ${JSON.stringify(v)})`,
        }
      : { value: v },
  apiUrl: (v) => {
    const problem = typeof v === "string" ? apiUrlProblem(v) : `apiUrl must be a string URL (got ${typeof v})`;
    return problem ? { reason: problem } : { value: canonicalOrigin(v as string) };
  },
};

/** The values of an enum as a refusal lists them: `"a" (label) or "b" (label)`, or `one of "a", "b", "c"`. */
function allowedValues(values: EnumSpec["values"]): string {
  const each = Object.entries(values).map(([value, v]) => (v.label ? `${JSON.stringify(value)} (${v.label})` : JSON.stringify(value)));
  return each.length === 2 ? each.join(" or ") : `one of ${each.join(", ")}`;
}

/** Read one known value by its row of the table: its enum, then SendGrid's rule for it, then its type. */
function readProperty(p: PropertySpec, v: unknown): Read {
  if (p.enum) {
    return Object.hasOwn(p.enum.values, v as string)
      ? { value: v }
      : { reason: `${p.name} must be ${allowedValues(p.enum.values)} (got ${JSON.stringify(v)})` };
  }
  const rule = RULES[p.name as BatchProperty];
  if (rule) return rule(v);
  if (p.type === "string")
    return typeof v === "string" ? { value: v } : { reason: `${p.name} must be a string (got ${JSON.stringify(v)})` };
  return typeof v === "string" || Number.isInteger(v)
    ? { value: v }
    : { reason: `${p.name} must be a whole number or a string (got ${JSON.stringify(v)})` };
}

/** A failure for each key the resource does not accept (engine-reserved `__` keys aside). */
function unknownPropertyFailures(raw: Record<string, unknown>): Failure[] {
  return Object.keys(raw)
    .filter((key) => !key.startsWith("__") && !(INPUT_PROPERTIES as readonly string[]).includes(key))
    .map((key) => ({ property: key, reason: `unknown property "${key}"; ScheduledBatch accepts ${INPUT_PROPERTIES.join(", ")}` }));
}

/** Validate raw inputs; returns the normalised spec (best effort) and every failure found. */
export function validateInputs(raw: Record<string, unknown>, opts: ValidateOptions): { spec: BatchSpec; failures: Failure[] } {
  const unknown = opts.isUnknown ?? (() => false);
  const known = (v: unknown) => v !== undefined && v !== null && !unknown(v);
  const failures = unknownPropertyFailures(raw);
  // Every property is optional; an absent one with a default in the table takes it, except the
  // account's: core/account.ts reads those (an absent region and "global" are one account).
  const read: Record<string, unknown> = Object.fromEntries(
    BATCH_PROPERTIES.flatMap((p) => ("default" in p && p.onChange !== "account" ? [[p.name, p.default]] : [])),
  );
  for (const p of BATCH_PROPERTIES) {
    if (!known(raw[p.name])) continue;
    const r = readProperty(p, raw[p.name]);
    if ("reason" in r) failures.push({ property: p.name, reason: r.reason });
    else read[p.name] = r.value;
  }
  // The table's types and enums are what the readers checked (BatchSpec is derived from the same rows).
  const spec = read as BatchSpec;
  failures.push(...timingFailures(spec, raw, opts));
  return { spec, failures };
}

/**
 * SendGrid's timing rules, checked only for what this change asks for (a batch paused an hour ago
 * must not fail every later preview once its send time is near):
 * - no pause or cancel later than 10 minutes before send_at;
 * - send_at at most 72 hours ahead (Mail Send refuses it otherwise).
 */
function timingFailures(spec: BatchSpec, raw: Record<string, unknown>, opts: ValidateOptions): Failure[] {
  const failures: Failure[] = [];
  if (spec.sendAt === undefined) return failures;
  const prev = opts.previous;
  const statusChanges = prev === undefined || prev.status !== spec.status;
  const sendAtChanges = prev === undefined || prev.sendAt !== raw.sendAt;
  const secondsLeft = spec.sendAt - opts.now;

  if (isNonActive(spec.status) && statusChanges && pastCutoff(spec.sendAt, opts.now)) {
    const verb = spec.status === "paused" ? "pause" : "cancel";
    const when =
      secondsLeft <= 0 ? `sendAt passed ${formatDuration(-secondsLeft)} ago` : `sendAt is only ${formatDuration(secondsLeft)} away`;
    failures.push({
      property: "status",
      reason: `cannot ${verb} now: SendGrid refuses pause or cancel later than 10 minutes before send_at (${when}, at ${new Date(spec.sendAt * 1000).toISOString()})`,
    });
  }
  if (sendAtChanges && secondsLeft > SENDGRID_LIMITS.maxScheduleAheadSeconds) {
    failures.push({
      property: "sendAt",
      reason: `sendAt ${new Date(spec.sendAt * 1000).toISOString()} is ${formatDuration(secondsLeft)} ahead; SendGrid forbids scheduling more than 72 hours in advance`,
    });
  }
  return failures;
}

/**
 * Whether SendGrid's cut-off for pause and cancel has passed: "no later than 10 minutes before
 * send_at", so exactly 600 s before is still allowed. Both in Unix seconds.
 */
export function pastCutoff(sendAt: number, now: number): boolean {
  return sendAt - now < SENDGRID_LIMITS.cutoffSeconds;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
