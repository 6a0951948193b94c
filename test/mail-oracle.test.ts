// The mail oracle (issue 22 §7): a model-based test of the product's promise, over random
// interleavings of everything the tool and the world around it do.
//
// The invariant: for every message a program schedules with a batch id this tool handed out, at its
// send time it is delivered only if the batch's declared status (in the stack's state, or the
// CloudFormation resource's last successful properties) is `active`, discarded only if `cancelled`,
// held otherwise; and no command reports success for a change SendGrid does not hold afterwards.
// Nothing else the tool does (recovery, adoption, clearing, retries, rollbacks, late answers) may
// change a message's fate.
//
// fast-check generates command sequences (test/support/oracle/commands.ts): creates, updates,
// deletes, refreshes, adoptions and imports through the dynamic provider's and the plugin's
// adapters; application mail on handed ids; clock moves; 429/5xx/reset faults before or after
// SendGrid applies a request; a full quota; provider processes killed mid-create or short of disk;
// a journal line from elsewhere; `orphans` (with a create racing its --clear); CloudFormation events
// through the built Lambda bundle, with deadlines and rollbacks. Each drives the real code against
// the emulator over real HTTP; the oracle (test/support/oracle/oracle.ts) then checks every message.
//
// ORACLE_RUNS and ORACLE_SEED choose how many sequences and from which seed (`npm run test:oracle`);
// the seed is printed, and a failure prints the seed, the path and the shrunk sequence to replay.
import * as fs from "node:fs";
import fc from "fast-check";
import { mailProperty, retell } from "./support/oracle/oracle";
import { useWorld } from "./support/oracle/world";

const RUNS = Number(process.env.ORACLE_RUNS ?? 20);
const SEED = Number(process.env.ORACLE_SEED ?? 20261207);
const MAX_COMMANDS = Number(process.env.ORACLE_MAX_COMMANDS ?? 12);

const world = useWorld(); // a getter: the world its beforeAll started

test(
  `the mail oracle holds over ${RUNS} random sequences (seed ${SEED})`,
  async () => {
    process.stdout.write(`mail oracle: ${RUNS} sequences of up to ${MAX_COMMANDS} commands, seed ${SEED}\n`);
    const stats = { runs: 0, failed: 0 };
    const details = await fc.check(mailProperty(world(), MAX_COMMANDS, stats), {
      numRuns: RUNS,
      seed: SEED,
      ...(process.env.ORACLE_PATH ? { path: process.env.ORACLE_PATH } : {}),
      endOnFailure: process.env.ORACLE_SHRINK === "0",
    });
    // Sequences, not fast-check's attempts: a failing run stops at its first failure (then shrinks), an
    // exploring one (ORACLE_EXPLORE) goes on and counts every failing sequence.
    const failed = process.env.ORACLE_EXPLORE ? stats.failed : details.failed ? 1 : 0;
    const ran = process.env.ORACLE_EXPLORE ? stats.runs : details.numRuns;
    const summary = `${ran - failed} passed, ${failed} failed`;
    process.stdout.write(`mail oracle: ${summary}\n`);
    if (process.env.ORACLE_SUMMARY) fs.writeFileSync(process.env.ORACLE_SUMMARY, `${summary}\n`);
    if (process.env.ORACLE_EXPLORE) expect(stats.failed).toBe(0);
    if (details.failed) {
      const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const again = details.counterexample ? await retell(world(), details.counterexample[0]) : "";
      throw new Error(`${fc.defaultReportMessage(details) ?? "the mail oracle failed"}\n${why}\n${again}`);
    }
  },
  Math.max(3_600_000, RUNS * 10_000),
); // up to 10 s a sequence: long runs are not cut at an hour
