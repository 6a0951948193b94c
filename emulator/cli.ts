#!/usr/bin/env node
// sendgrid-emulator: run the local SendGrid emulator, e.g. in CI. Prints the URL; stops on SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { SENDGRID_LIMITS } from "../core/wire";
import { startEmulator } from "./start";
import {
  FAULT_KINDS,
  UNDOCUMENTED_CASES,
  type CannedReply,
  type EmulatorOptions,
  type FaultKind,
  type FaultOptions,
  type UndocumentedCase,
  type UndocumentedReplies,
} from "./types";

const USAGE = `Usage: sendgrid-emulator [options]

  --port N                 port to listen on (default 0: a free port)
  --host H                 host (default 127.0.0.1; non-loopback needs --allow-remote)
  --allow-remote           allow a non-loopback host
  --api-key KEY            accepted API key, repeatable (default: the built-in emulator key)
  --subuser NAME           subuser reachable with on-behalf-of, repeatable (default subuser-a, subuser-b)
  --max-paused N           max batches paused or cancelled at once (default ${SENDGRID_LIMITS.maxPausedOrCancelled})
  --late-change MODE       reject|accept a pause/cancel within ${SENDGRID_LIMITS.cutoffSeconds / 60} minutes of send_at (default reject)
  --single-read MODE       empty|404 for GET /v3/user/scheduled_sends/{id} without status (default empty)
  --undocumented CASE=STATUS[:BODY]
                           answer an undocumented case as SendGrid was recorded to, repeatable.
                           CASE: ${UNDOCUMENTED_CASES.join(", ")}.
                           BODY: JSON ([…] or {…}) or a message for SendGrid's error body; none: empty
  --rate-limit N           requests per window per key and endpoint (default: no limit)
  --rate-window S          rate-limit window in seconds (default 60)
  --fault-rate R           probability 0..1 that a /v3 request fails (default: no faults)
  --fault-kinds LIST       comma list of ${FAULT_KINDS.join(",")} (default 500,503,reset,429)
  --fault-phase P          before|after|mixed (default before)
  --seed N                 fault generator seed (default 1)
  --slow-ms N              delay of a "slow" fault (default 2000)
  --now T                  initial clock, unix seconds (default: real time)
  -h, --help               this help
`;

/** A whole number flag in [min, max]; fractions, exponents and blanks are refused rather than rounded. */
function int(name: string, v: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new Error(`--${name} must be a whole number ${range}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A probability flag in 0..1. */
function probability(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === "" ? Number.NaN : Number(v);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be a number in 0..1, got ${JSON.stringify(v)}`);
  return n;
}

/** `--undocumented CASE=STATUS[:BODY]`, e.g. `samePatch=400:status already set` or `malformedId.read=200:[]`. */
function undocumentedReplies(values: string[] | undefined): UndocumentedReplies | undefined {
  if (!values) return undefined;
  const out: UndocumentedReplies = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d{3})(?::(.*))?$/s.exec(v);
    const name = m?.[1] as UndocumentedCase | undefined;
    if (!m || !name || !(UNDOCUMENTED_CASES as readonly string[]).includes(name)) {
      throw new Error(
        `--undocumented must be CASE=STATUS[:BODY] with CASE one of ${UNDOCUMENTED_CASES.join(", ")}, got ${JSON.stringify(v)}`,
      );
    }
    const reply: CannedReply = { status: Number(m[2]) };
    const text = m[3];
    if (text !== undefined && /^\s*[[{]/.test(text)) {
      try {
        reply.body = JSON.parse(text) as unknown;
      } catch {
        throw new Error(`--undocumented ${name}: the body is not valid JSON: ${text}`);
      }
    } else if (text !== undefined) {
      reply.body = { errors: [{ field: null, message: text }] };
    }
    out[name] = reply;
  }
  return out;
}

export function optionsFromArgs(argv: string[]): EmulatorOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "allow-remote": { type: "boolean" },
      "api-key": { type: "string", multiple: true },
      subuser: { type: "string", multiple: true },
      "max-paused": { type: "string" },
      "late-change": { type: "string" },
      "single-read": { type: "string" },
      undocumented: { type: "string", multiple: true },
      "rate-limit": { type: "string" },
      "rate-window": { type: "string" },
      "fault-rate": { type: "string" },
      "fault-kinds": { type: "string" },
      "fault-phase": { type: "string" },
      seed: { type: "string" },
      "slow-ms": { type: "string" },
      now: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  // Every flag is checked, also one that another flag leaves unused (--rate-window without --rate-limit).
  const rateLimit = int("rate-limit", values["rate-limit"], 1);
  const windowSeconds = int("rate-window", values["rate-window"], 1) ?? 60;
  const faultRate = probability("fault-rate", values["fault-rate"]);
  const seed = int("seed", values.seed, Number.MIN_SAFE_INTEGER) ?? 1;
  const slowMs = int("slow-ms", values["slow-ms"]);
  const faults: FaultOptions | false =
    faultRate === undefined
      ? false
      : {
          seed,
          rate: faultRate,
          kinds: (values["fault-kinds"] ?? "500,503,reset,429").split(",").map((k) => k.trim()) as FaultKind[],
          ...(values["fault-phase"] ? { phase: values["fault-phase"] as FaultOptions["phase"] } : {}),
          ...(slowMs !== undefined ? { slowMs } : {}),
        };
  return {
    port: int("port", values.port, 0, 65535) ?? 0,
    host: values.host,
    allowRemote: values["allow-remote"] ?? false,
    apiKeys: values["api-key"],
    subusers: values.subuser,
    maxPausedOrCancelled: int("max-paused", values["max-paused"]),
    lateChange: values["late-change"] as EmulatorOptions["lateChange"],
    singleReadWithoutStatus: values["single-read"] as EmulatorOptions["singleReadWithoutStatus"],
    undocumented: undocumentedReplies(values.undocumented),
    rateLimit: rateLimit === undefined ? false : { limit: rateLimit, windowSeconds },
    faults,
    now: int("now", values.now),
  };
}

async function main(): Promise<void> {
  let options: EmulatorOptions | "help";
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await startEmulator(options);
  // Handlers go in before the URL is printed: whoever reads the URL may signal right away.
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.write(`sendgrid-emulator listening on ${emulator.url}\n`);
  process.stdout.write(`inspection API: ${emulator.url}/__emulator/info\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`sendgrid-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
