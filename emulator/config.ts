// Defaults and validation of the emulator's settings, shared by startEmulator, the CLI and
// `PUT /__emulator/config`.

import { SENDGRID_LIMITS } from "../core/wire";
import { isRecord } from "./http";
import {
  FAULT_KINDS,
  UNDOCUMENTED_CASES,
  type EmulatorConfig,
  type FaultOptions,
  type RateLimitOptions,
  type UndocumentedReplies,
} from "./types";

/**
 * The key the emulator accepts by default. Shaped like a real key (69 characters, `SG.` + 22 + `.` + 43)
 * so clients that check the prefix or length stay quiet; it is worthless anywhere else.
 */
export const DEFAULT_EMULATOR_API_KEY = "SG.emulatorLocalTestKey00.do-not-use-in-production-local-emulator-000";

export const DEFAULT_SUBUSERS: readonly string[] = ["subuser-a", "subuser-b"];

export const DEFAULT_CONFIG: Readonly<EmulatorConfig> = Object.freeze({
  maxPausedOrCancelled: SENDGRID_LIMITS.maxPausedOrCancelled,
  lateChange: "reject",
  singleReadWithoutStatus: "empty",
  undocumented: Object.freeze({}),
  rateLimit: false,
  faults: false,
});

type Problems = string[];

function checkRateLimit(v: unknown, problems: Problems): RateLimitOptions | false | undefined {
  if (v === undefined || v === false) return v;
  if (
    !isRecord(v) ||
    !Number.isInteger(v.limit) ||
    (v.limit as number) < 1 ||
    typeof v.windowSeconds !== "number" ||
    !(v.windowSeconds > 0)
  ) {
    problems.push("rateLimit must be false or { limit: integer ≥ 1, windowSeconds: number > 0 }");
    return undefined;
  }
  return { limit: v.limit as number, windowSeconds: v.windowSeconds };
}

function checkFaults(v: unknown, problems: Problems): FaultOptions | false | undefined {
  if (v === undefined || v === false) return v;
  const bad = (what: string) => {
    problems.push(`faults.${what}`);
    return undefined;
  };
  if (!isRecord(v)) return bad("must be false or an object");
  if (typeof v.seed !== "number" || !Number.isFinite(v.seed)) return bad("seed must be a number");
  if (typeof v.rate !== "number" || v.rate < 0 || v.rate > 1) return bad("rate must be a number in 0..1");
  if (!Array.isArray(v.kinds) || v.kinds.length === 0 || !v.kinds.every((k) => (FAULT_KINDS as readonly unknown[]).includes(k))) {
    return bad(`kinds must be a non-empty array of ${FAULT_KINDS.join(", ")}`);
  }
  if (v.slowMs !== undefined && (typeof v.slowMs !== "number" || v.slowMs < 0)) return bad("slowMs must be a number ≥ 0");
  if (v.phase !== undefined && v.phase !== "before" && v.phase !== "after" && v.phase !== "mixed")
    return bad("phase must be before, after or mixed");
  if (v.maxConsecutive !== undefined && (!Number.isInteger(v.maxConsecutive) || (v.maxConsecutive as number) < 1)) {
    return bad("maxConsecutive must be an integer ≥ 1");
  }
  return {
    seed: v.seed,
    rate: v.rate,
    kinds: v.kinds as FaultOptions["kinds"],
    ...(v.slowMs !== undefined ? { slowMs: v.slowMs as number } : {}),
    ...(v.phase !== undefined ? { phase: v.phase as FaultOptions["phase"] } : {}),
    ...(v.maxConsecutive !== undefined ? { maxConsecutive: v.maxConsecutive as number } : {}),
  };
}

function checkUndocumented(v: unknown, problems: Problems): UndocumentedReplies | undefined {
  if (v === undefined) return undefined;
  const cases = UNDOCUMENTED_CASES as readonly string[];
  if (!isRecord(v)) {
    problems.push(`undocumented must be an object keyed by ${cases.join(", ")}`);
    return undefined;
  }
  const out: UndocumentedReplies = {};
  for (const [name, reply] of Object.entries(v)) {
    if (!cases.includes(name)) problems.push(`undocumented.${name} is not one of ${cases.join(", ")}`);
    else if (!isRecord(reply) || !Number.isInteger(reply.status) || (reply.status as number) < 200 || (reply.status as number) > 599) {
      problems.push(`undocumented.${name} must be { status: integer 200..599, body?: JSON }`);
    } else {
      out[name as keyof UndocumentedReplies] = {
        status: reply.status as number,
        ...(reply.body !== undefined ? { body: reply.body } : {}),
      };
    }
  }
  return out;
}

/** Validates a partial config (unknown keys are refused). Returns the clean patch or the problems. */
export function parseConfigPatch(input: unknown): { patch: Partial<EmulatorConfig> } | { problems: string[] } {
  if (!isRecord(input)) return { problems: ["config must be a JSON object"] };
  const problems: Problems = [];
  const patch: Partial<EmulatorConfig> = {};
  for (const key of Object.keys(input)) {
    if (!(key in DEFAULT_CONFIG)) problems.push(`unknown setting ${key}`);
  }
  const { maxPausedOrCancelled: max, lateChange, singleReadWithoutStatus: single } = input;
  if (max !== undefined) {
    if (Number.isInteger(max) && (max as number) >= 0) patch.maxPausedOrCancelled = max as number;
    else problems.push("maxPausedOrCancelled must be an integer ≥ 0");
  }
  if (lateChange !== undefined) {
    if (lateChange === "reject" || lateChange === "accept") patch.lateChange = lateChange;
    else problems.push("lateChange must be reject or accept");
  }
  if (single !== undefined) {
    if (single === "empty" || single === "404") patch.singleReadWithoutStatus = single;
    else problems.push("singleReadWithoutStatus must be empty or 404");
  }
  const undocumented = checkUndocumented(input.undocumented, problems);
  if (undocumented !== undefined) patch.undocumented = undocumented;
  const rateLimit = checkRateLimit(input.rateLimit, problems);
  if (rateLimit !== undefined) patch.rateLimit = rateLimit;
  const faults = checkFaults(input.faults, problems);
  if (faults !== undefined) patch.faults = faults;
  return problems.length ? { problems } : { patch };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
