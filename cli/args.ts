// The command line of sendgrid-batches, checked in full before any file is read or any request is
// made: known commands and flags only, each flag valid for its command, every value present and
// well formed. A value we cannot read must never turn into a decision (issue 9, path 2:
// `Number("abc")` is NaN, and `sendAt + NaN > now` is false, which made a cancelled batch whose
// mail is still ahead look clearable).

import { parseArgs } from "node:util";
import { parseSendAt, validateInputs, type Region, apiOrigin, canonicalOrigin } from "../core";

export const COMMANDS = ["list", "clear-cancelled", "orphans"] as const;
export type Command = (typeof COMMANDS)[number];

/**
 * Default --margin: how long after a batch's send time passed before its cancelled status may be
 * cleared. Ten minutes absorbs clock skew between this machine and SendGrid, and mail SendGrid is
 * still handing out at send_at.
 */
export const DEFAULT_MARGIN_SECONDS = 600;

export interface Options {
  command: Command;
  apiUrl?: string;
  region?: Region;
  onBehalfOf?: string;
  states: string[];
  /** Send times given with --sent, by batch id. */
  sent: Map<string, number>;
  /** --trust-sent: for the ids given with --sent, that time overrides what the --state files say. */
  trustSent: boolean;
  marginSeconds: number;
  /** Ids that must never be touched (orphans --keep). */
  keep: string[];
  /** The batch journal (orphans --journal); default: SENDGRID_BATCH_JOURNAL, else the providers' default path. */
  journal?: string;
  clear: boolean;
  yes: boolean;
  dryRun: boolean;
}

export type Parsed = { ok: true; options: Options } | { ok: false; help: boolean; error?: string };

type Flag =
  | "api-url"
  | "region"
  | "on-behalf-of"
  | "state"
  | "sent"
  | "margin"
  | "trust-sent"
  | "keep"
  | "journal"
  | "clear"
  | "yes"
  | "dry-run"
  | "help";

const CONNECTION: Flag[] = ["api-url", "region", "on-behalf-of"];
/** Which flags each command takes; anything else is refused rather than silently ignored. */
const ALLOWED: Record<Command, readonly Flag[]> = {
  list: [...CONNECTION, "state", "sent", "trust-sent", "margin"],
  "clear-cancelled": [...CONNECTION, "state", "sent", "trust-sent", "margin", "yes", "dry-run"],
  orphans: [...CONNECTION, "state", "keep", "journal", "clear", "yes"],
};
/** String flags that may be given once only (a second value would silently win). */
const SINGLE: Flag[] = ["api-url", "region", "on-behalf-of", "margin", "journal"];

const fail = (error: string): Parsed => ({ ok: false, help: false, error });

export function parseCommandLine(argv: string[]): Parsed {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (err) {
    // node:util's own messages are clear ("Unknown option '--marign'", "argument missing").
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: false, help: true };
  const command = commandOf(positionals, values);
  if ("error" in command) return fail(command.error);
  const one = (flag: Flag): string | undefined => (values[flag as "api-url"] as string[] | undefined)?.[0];
  const connection = connectionOf(one);
  if ("error" in connection) return fail(connection.error);
  const margin = marginOf(one("margin"));
  if ("error" in margin) return fail(margin.error);
  const sent = sentTimesOf(values.sent ?? []);
  if ("error" in sent) return fail(sent.error);
  const trustSent = values["trust-sent"] === true;
  if (trustSent && sent.value.size === 0)
    return fail("--trust-sent needs --sent ID=TIME: it says the --sent times override the --state files");

  return {
    ok: true,
    options: {
      command: command.value,
      ...connection.value,
      states: values.state ?? [],
      sent: sent.value,
      trustSent,
      marginSeconds: margin.value,
      keep: values.keep ?? [],
      journal: one("journal"),
      clear: values.clear === true,
      yes: values.yes === true,
      dryRun: values["dry-run"] === true,
    },
  };
}

/** One step of reading the command line: its value, or the error that stops it. */
type Step<T> = { value: T } | { error: string };

/** The command, with every flag given checked to be one it takes, given once if single, and not empty. */
function commandOf(positionals: string[], values: Record<string, unknown>): Step<Command> {
  if (positionals.length === 0) return { error: "no command given" };
  const [command, ...extra] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command as string)) return { error: `unknown command ${JSON.stringify(command)}` };
  if (extra.length) return { error: `unexpected argument ${JSON.stringify(extra[0])}` };
  const cmd = command as Command;

  for (const [flag, value] of Object.entries(values) as [Flag, unknown][]) {
    if (value === undefined || value === false) continue;
    if (!ALLOWED[cmd].includes(flag)) return { error: `--${flag} is not an option of \`${cmd}\`` };
    if (Array.isArray(value)) {
      if (SINGLE.includes(flag) && value.length > 1) return { error: `--${flag} may be given once` };
      if (value.some((v) => v === "")) return { error: `--${flag} needs a value` };
    }
  }
  return { value: cmd };
}

type Connection = Pick<Options, "apiUrl" | "region" | "onBehalfOf">;

/** --api-url, --region and --on-behalf-of, checked by the core's rules and against each other. */
function connectionOf(one: (flag: Flag) => string | undefined): Step<Connection> {
  const region = one("region");
  if (region !== undefined && region !== "global" && region !== "eu") return { error: `--region must be "global" or "eu"` };
  const connection = { apiUrl: one("api-url"), region: region as Region | undefined, onBehalfOf: one("on-behalf-of") };
  const { failures } = validateInputs(connection, { now: 0 });
  if (failures.length) {
    const flagOf: Record<string, string> = { apiUrl: "--api-url", onBehalfOf: "--on-behalf-of", region: "--region" };
    return { error: failures.map((f) => `${flagOf[f.property] ?? f.property}: ${f.reason}`).join("; ") };
  }
  const conflict = connection.region && connection.apiUrl ? regionConflict(connection.region, connection.apiUrl) : undefined;
  return conflict ? { error: conflict } : { value: connection };
}

/** --margin in whole seconds (DEFAULT_MARGIN_SECONDS when not given). */
function marginOf(margin: string | undefined): Step<number> {
  if (margin === undefined) return { value: DEFAULT_MARGIN_SECONDS };
  // Digits only: no sign, no fraction, no exponent, no hex; a whole number of seconds.
  if (!/^\d+$/.test(margin) || !Number.isSafeInteger(Number(margin))) {
    return { error: `--margin must be a non-negative whole number of seconds (got ${JSON.stringify(margin)})` };
  }
  return { value: Number(margin) };
}

/** The --sent ID=TIME pairs, one time per batch id. */
function sentTimesOf(pairs: readonly string[]): Step<Map<string, number>> {
  const sent = new Map<string, number>();
  for (const s of pairs) {
    const eq = s.indexOf("=");
    const id = eq > 0 ? s.slice(0, eq) : "";
    const parsedTime = parseSendAt(eq > 0 ? s.slice(eq + 1) : "");
    if (!id || "reason" in parsedTime) {
      return { error: `--sent ${s}: expected ID=TIME (${"reason" in parsedTime ? parsedTime.reason : "missing id"})` };
    }
    // One time per batch: two would leave it to the order of the flags which one decides.
    const before = sent.get(id);
    if (before !== undefined && before !== parsedTime.seconds) {
      return { error: `--sent ${id} is given twice with different times: give it once, with the latest send time of the batch's mail` };
    }
    sent.set(id, parsedTime.seconds);
  }
  return { value: sent };
}

/**
 * Why --region and --api-url cannot be given together, or undefined when --api-url is that region's
 * own host. The client sends every request to --api-url and ignores --region, so `--region eu
 * --api-url X` would quietly look at X's account instead of the EU one the operator asked for.
 */
function regionConflict(region: Region, apiUrl: string): string | undefined {
  const regionHost = apiOrigin({ region });
  if (canonicalOrigin(apiUrl) === regionHost) return undefined;
  return (
    `--region ${region} and --api-url ${apiUrl} disagree: requests would go to ${apiUrl}, not to the ${region} host ${regionHost}. ` +
    "Give --region alone for SendGrid, or --api-url alone for an emulator or proxy"
  );
}

function parseRaw(argv: string[]) {
  // strict (the default): an unknown flag, a missing value, or a value given to a boolean throws.
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      "api-url": { type: "string", multiple: true },
      region: { type: "string", multiple: true },
      "on-behalf-of": { type: "string", multiple: true },
      state: { type: "string", multiple: true },
      sent: { type: "string", multiple: true },
      margin: { type: "string", multiple: true },
      "trust-sent": { type: "boolean" },
      keep: { type: "string", multiple: true },
      journal: { type: "string", multiple: true },
      clear: { type: "boolean" },
      yes: { type: "boolean" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}
