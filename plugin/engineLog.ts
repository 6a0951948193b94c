// Lines the plugin says to the user while it works (e.g. that a pause waits for a free quota slot),
// through the engine's Log RPC at INFO (or DEBUG, for a line per created batch): they show in `pulumi up`'s output, the CI log and the event
// stream. A provider plugin's stderr reaches the engine only as a debug message (seen with
// --debug alone), so it is the fallback when there is no engine to talk to (a test over gRPC).

import { PACKAGE } from "./names";
// The very modules the SDK's server loads (sdkModules.ts).
import { engineProto as engproto, engineRpc as engrpc, grpc } from "./sdkModules";

/**
 * Say one line to the user, attributed to `urn` when given (else to the stack). At "debug" it stays
 * out of the run's summary: shown with `--debug`, kept in the engine's log and event stream.
 */
export type EngineLog = (message: string, urn?: string, severity?: "info" | "debug") => void;

const toStderr: EngineLog = (message) => {
  process.stderr.write(`${PACKAGE}: ${message}\n`);
};

/**
 * The engine's address among a provider plugin's arguments: the first that is not a flag the
 * engine adds (`--logtostderr`, `-v=N`, `--tracing ADDR`), as the SDK's server reads it.
 */
export function engineAddressOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--tracing") i++;
    else if (args[i] !== "--logtostderr" && !args[i].startsWith("-v=")) return args[i];
  }
  return undefined;
}

/** A logger over the engine at `address`; without one, or when a Log call fails, stderr. */
export function engineLog(address: string | undefined): EngineLog {
  if (!address) return toStderr;
  const engine = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
  return (message, urn, severity = "info") => {
    const req = new engproto.LogRequest();
    req.setSeverity(severity === "debug" ? engproto.LogSeverity.DEBUG : engproto.LogSeverity.INFO);
    req.setMessage(`${PACKAGE}: ${message}`);
    req.setUrn(urn ?? "");
    engine.log(req, (err) => {
      if (err) toStderr(message);
    });
  };
}
