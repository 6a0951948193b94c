// Walks the transition table (test/support/transitions.ts) through one adapter: one test per row,
// in order, each starting from the state the last one left; after the first failing row the rest
// fail at once, naming it, instead of cascading into confusing diffs.
import { takeSendGridCalls, type SuiteEmulator } from "./emulator";
import {
  SUBUSER,
  TRANSITIONS,
  applyOutOfBand,
  expectedStatuses,
  programAfter,
  type Account,
  type Deviation,
  type Operation,
  type Program,
  type Row,
} from "./transitions";

export interface TransitionAdapter {
  /** Run the row's operation; `program` is what is declared afterwards; `made` names out-of-band batches. */
  run(op: Operation, program: Program, made: Readonly<Record<string, string>>): Promise<void>;
  /** The batch id and account a declared resource holds (or last held, once removed). */
  idOf(name: string): { batchId: string; account: Account };
  /** The adapter's own expectation for a row, where the table gives one. */
  deviation?(row: Row): Deviation | undefined;
}

export function walkTransitions(sg: SuiteEmulator, adapter: () => TransitionAdapter): void {
  const made: Record<string, string> = {};
  let failed: string | undefined;

  TRANSITIONS.forEach((row, index) => {
    test(row.name, async () => {
      if (failed) throw new Error(`skipped: row "${failed}" failed before it`);
      try {
        const a = adapter();
        if (index === 0) await sg.admin.reset();
        await applyOutOfBand(sg.url, row.before ?? [], made, (name) => a.idOf(name));
        await sg.admin.clearRequests();
        const before = index === 0 ? {} : programAfter(TRANSITIONS, index - 1);
        const heldBefore = Object.fromEntries(Object.keys(before).map((name) => [name, a.idOf(name).batchId]));
        const program = programAfter(TRANSITIONS, index);
        await a.run(row.op, program, made);
        const deviation = a.deviation?.(row);
        expect(await takeSendGridCalls(sg.admin)).toEqual(deviation?.calls ?? row.calls);
        const batches = await sg.admin.batches();
        // Each declared resource's batch, in the declared account, holds the declared status.
        const held: Record<string, [string | null, string] | undefined> = {};
        const expected: Record<string, [string | null, string]> = {};
        const statuses = expectedStatuses(program, deviation ? deviation.leaves : row.leaves);
        for (const [name, d] of Object.entries(program)) {
          const batch = batches.find((b) => b.batch_id === a.idOf(name).batchId);
          held[name] = batch && [batch.onBehalfOf, batch.status];
          expected[name] = [d.account === "subuser" ? SUBUSER : null, statuses[name]];
        }
        expect(held).toEqual(expected);
        // A batch the row removed, destroyed or replaced is left cancelled, never released.
        for (const [name, batchId] of Object.entries(heldBefore)) {
          if (name in program && a.idOf(name).batchId === batchId) continue;
          expect([name, batches.find((b) => b.batch_id === batchId)?.status]).toEqual([name, "cancelled"]);
        }
      } catch (err) {
        failed = row.name;
        throw err;
      }
    });
  });
}
