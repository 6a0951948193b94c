// The mail oracle: after a run, the emulator's clock passes every send time, and each message's fate
// (which the emulator knows) is held against the status its batch was declared with (which the
// model knows); and every recorded batch's declared status against what SendGrid holds.

import fc from "fast-check";
import { commandArbitraries } from "./commands";
import { type Model, type World, emptyModel } from "./world";

const HELD = new Set(["scheduled", "expired"]);

function expectedFate(status: string): string {
  return status === "active" ? "delivered" : status === "cancelled" ? "discarded" : "held";
}

/** Every way the run broke the invariant, as sentences (none: the run is clean). */
export async function mailOracle(m: Model, w: World): Promise<string[]> {
  await w.proxy.disarm();
  await w.quiet();
  const problems = [...m.notes];
  const now = await w.admin.now();
  const last = Math.max(now, ...m.messages.map((x) => x.sendAt));
  if (last > now) await w.admin.setNow(last + 1);
  const messages = new Map((await w.admin.messages()).map((x) => [x.id, x]));
  const batches = new Map((await w.admin.batches()).map((b) => [b.batch_id, b]));

  for (const msg of m.messages) {
    const fate = messages.get(msg.id)?.fate ?? "missing";
    let declared: string;
    if (msg.owner.startsWith("app:")) declared = m.appBatches.find((b) => `app:${b.batchId}` === msg.owner)?.status ?? "paused";
    else {
      const r = m.resources.find((x) => x.name === msg.owner);
      if (!r) continue;
      declared = r.gone === "deleted" ? "cancelled" : r.status;
    }
    const want = expectedFate(declared);
    const ok = want === "held" ? HELD.has(fate) : fate === want;
    if (!ok) problems.push(`message ${msg.id} on batch ${msg.batchId} (${msg.owner}, declared ${declared}) was ${fate}, expected ${want}`);
  }
  for (const r of m.resources) {
    const held = batches.get(r.batchId)?.status ?? "unknown";
    const declared = r.gone === "deleted" ? "cancelled" : r.status;
    if (held !== declared)
      problems.push(`${r.name} records batch ${r.batchId} as ${declared}${r.gone ? ` (${r.gone})` : ""}, SendGrid holds ${held}`);
  }
  for (const b of m.appBatches) {
    const held = batches.get(b.batchId)?.status ?? "unknown";
    if (held !== b.status) problems.push(`the application's batch ${b.batchId} is ${held}, the application left it ${b.status}`);
  }
  return problems;
}

export interface OracleRunOptions {
  runs: number;
  seed?: number;
  maxCommands?: number;
  /** Replay a recorded counterexample (fast-check's path). */
  path?: string;
  /** A fixed command list to replay (a regression). */
  examples?: [fc.AsyncCommand<Model, World, false>[]][];
}

type Commands = Iterable<fc.AsyncCommand<Model, World, false>>;

/** Run `cmds` from an empty account and journal, then the oracle. */
export async function runSequence(w: World, cmds: Commands): Promise<string[]> {
  await w.reset();
  const model = emptyModel();
  await fc.asyncModelRun(() => ({ model, real: w }), cmds);
  return mailOracle(model, w);
}

/**
 * A failing sequence run once more, each command saying what it did this time (a shrunk
 * counterexample's commands otherwise show what they said in the last attempt, which may have passed).
 */
export async function retell(w: World, cmds: Commands): Promise<string> {
  const problems = await runSequence(w, cmds);
  return `run once more:\n  ${[...cmds].map(String).join("\n  ")}\n${problems.length ? `=> ${problems.join("\n=> ")}` : "=> clean this time (timing-dependent)"}`;
}

/** The property: any sequence of commands, then the oracle. */
/** Sequences run and sequences that broke the invariant (when exploring, the property goes on past them). */
export interface OracleStats {
  runs: number;
  failed: number;
}

export function mailProperty(w: World, maxCommands = 12, stats: OracleStats = { runs: 0, failed: 0 }) {
  let run = 0;
  return fc.asyncProperty(fc.commands(commandArbitraries(), { maxCommands, size: "+1" }), async (cmds) => {
    run++;
    stats.runs++;
    let problems: string[];
    try {
      problems = await runSequence(w, cmds);
    } catch (err) {
      // A command the host would have seen fail is recorded by the command; anything thrown here is the harness's or an adapter's surprise.
      problems = [`a command threw: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`];
    }
    if (process.env.ORACLE_VERBOSE) process.stdout.write(`${problems.length ? "FAIL" : "ok"}: ${cmds.toString()}\n`);
    if (problems.length) stats.failed++;
    if (problems.length && process.env.ORACLE_EXPLORE) {
      // Exploring (finding which paths a seed reaches): report and go on instead of stopping at the first.
      process.stdout.write(`VIOLATION (run ${run}): ${problems.join(" | ")}\n  in: ${cmds.toString()}\n`);
      return;
    }
    if (problems.length) {
      throw new Error(`mail oracle: ${problems.length} violation(s)\n  ${problems.join("\n  ")}\nlog:\n  ${w.log.slice(-12).join("\n  ")}`);
    }
  });
}
