// startEmulator: resolve options, build the runtime, listen.

import { Accounts } from "./auth";
import { DEFAULT_CONFIG, DEFAULT_EMULATOR_API_KEY, DEFAULT_SUBUSERS, isLoopback, parseConfigPatch } from "./config";
import { Runtime } from "./runtime";
import { EmulatorServer } from "./server";
import type { Emulator, EmulatorConfig, EmulatorOptions } from "./types";

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopback(host) && !opts.allowRemote) {
    throw new Error(`sendgrid emulator: refusing to listen on non-loopback host ${host} (set allowRemote to allow it)`);
  }
  const apiKeys = opts.apiKeys ?? [DEFAULT_EMULATOR_API_KEY];
  if (apiKeys.length === 0 || apiKeys.some((k) => typeof k !== "string" || k.trim() === "")) {
    throw new Error("sendgrid emulator: apiKeys must be non-empty strings");
  }
  const parsed = parseConfigPatch({
    maxPausedOrCancelled: opts.maxPausedOrCancelled,
    lateChange: opts.lateChange,
    singleReadWithoutStatus: opts.singleReadWithoutStatus,
    undocumented: opts.undocumented,
    rateLimit: opts.rateLimit,
    faults: opts.faults,
  });
  if ("problems" in parsed) throw new Error(`sendgrid emulator: ${parsed.problems.join("; ")}`);
  const config: EmulatorConfig = { ...DEFAULT_CONFIG, ...parsed.patch };
  if (opts.now !== undefined && !Number.isInteger(opts.now)) throw new Error("sendgrid emulator: now must be an integer (unix seconds)");

  const runtime = new Runtime(config, new Accounts(apiKeys, opts.subusers ?? DEFAULT_SUBUSERS), opts.now);
  const server = new EmulatorServer(runtime);
  const port = await server.listen(opts.port ?? 0, host);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => server.close() };
}
