#!/usr/bin/env node
// sendgrid-emulator: run the local SendGrid emulator, e.g. in CI. Prints the URL; stops on SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { startEmulator } from "./start";
import { FAULT_KINDS, type EmulatorOptions, type FaultKind, type FaultOptions } from "./types";

const USAGE = `Usage: sendgrid-emulator [options]

  --port N                 port to listen on (default 0: a free port)
  --host H                 host (default 127.0.0.1; non-loopback needs --allow-remote)
  --allow-remote           allow a non-loopback host
  --api-key KEY            accepted API key, repeatable (default: the built-in emulator key)
  --subuser NAME           subuser reachable with on-behalf-of, repeatable (default subuser-a, subuser-b)
  --max-paused N           max batches paused or cancelled at once (default 10)
  --late-change MODE       reject|accept a pause/cancel within 10 minutes of send_at (default reject)
  --single-read MODE       empty|404 for GET /v3/user/scheduled_sends/{id} without status (default empty)
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

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
  return n;
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
  const rateLimit = int("rate-limit", values["rate-limit"]);
  const faultRate = int("fault-rate", values["fault-rate"]);
  const faults: FaultOptions | false =
    faultRate === undefined
      ? false
      : {
          seed: int("seed", values.seed) ?? 1,
          rate: faultRate,
          kinds: (values["fault-kinds"] ?? "500,503,reset,429").split(",").map((k) => k.trim()) as FaultKind[],
          ...(values["fault-phase"] ? { phase: values["fault-phase"] as FaultOptions["phase"] } : {}),
          ...(values["slow-ms"] ? { slowMs: int("slow-ms", values["slow-ms"]) } : {}),
        };
  return {
    port: int("port", values.port) ?? 0,
    host: values.host,
    allowRemote: values["allow-remote"] ?? false,
    apiKeys: values["api-key"],
    subusers: values.subuser,
    maxPausedOrCancelled: int("max-paused", values["max-paused"]),
    lateChange: values["late-change"] as EmulatorOptions["lateChange"],
    singleReadWithoutStatus: values["single-read"] as EmulatorOptions["singleReadWithoutStatus"],
    rateLimit: rateLimit === undefined ? false : { limit: rateLimit, windowSeconds: int("rate-window", values["rate-window"]) ?? 60 },
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
