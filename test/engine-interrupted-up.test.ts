// An interrupted `pulumi up` must not strand paused batches (issue 9, path 1). The real `pulumi`
// CLI with a file backend runs a project declaring 20 paused batches against the emulator, and is
// interrupted mid-run:
// - gracefully (SIGINT, SIGTERM to the CLI): the engine finishes the steps in flight and records
//   them, so no batch is left that state does not know;
// - brutally (SIGKILL of the CLI, its language host and the provider plugin, as when a CI runner
//   is stopped): batches paused but not yet recorded hold quota slots, and the provider's journal
//   shows each was minted and never handed to the engine. The documented runbook (docs/reliability.md
//   "After an interrupted run") runs `pulumi up` again, whose creates take those batches back; or,
//   with the pending creates dropped, `sendgrid-batches orphans --clear` clears exactly them. Every
//   recorded batch stays as it was, and nothing that could carry mail is ever cleared.
//
// Timing is made deterministic by the emulator, not by sleeps: every SendGrid request is applied
// at once but answered 3 s later (a "slow" fault in the "after" phase), so a batch that has just
// become paused is certain to be unrecorded for 3 s; the test interrupts right after the count of
// paused batches passes a threshold.

import * as path from "node:path";
import type { JournalEntry } from "../core";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { REPO_ROOT } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
import { readJournal } from "./support/journalLines";
import { cliProject, killTree, type CliProject, type StackExport } from "./support/pulumiCli";

jest.setTimeout(480_000);

const COUNT = 20;
/** Interrupt once this many batches are paused: one wave of 4 recorded, the next in flight. */
const THRESHOLD = 5;
const SLOW_MS = 3000;
const BATCH_TYPE = "pulumi-nodejs:dynamic/sendgrid:ScheduledBatch";
const CLI = path.join(REPO_ROOT, "dist", "cli", "sendgrid-batches.js");

const sg = useEmulator();
const projects: CliProject[] = [];
afterAll(() => {
  for (const p of projects) p.dispose();
});

async function project(name: string): Promise<CliProject> {
  await sg.admin.reset();
  // 20 paused batches need more than SendGrid's 10 slots; the quota is not what is tested here.
  await sg.admin.configure({ maxPausedOrCancelled: 4 * COUNT });
  const p = await cliProject({
    name,
    config: { apiUrl: sg.url, count: String(COUNT) },
    env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
  projects.push(p);
  await sg.admin.configure({ faults: { seed: 9, rate: 1, kinds: ["slow"], slowMs: SLOW_MS, phase: "after" } });
  return p;
}

/** `pulumi up` of the project, interrupted by `interrupt` once THRESHOLD batches are paused. */
async function interruptedUp(p: CliProject, interrupt: (pid: number) => void): Promise<{ code: number | null; output: string }> {
  const { child, done } = p.start(["up", "--yes", "--skip-preview", "--non-interactive", "--parallel", "4"]);
  const pid = child.pid as number;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const paused = (await sg.admin.batches()).filter((b) => b.status === "paused").length;
    if (paused >= THRESHOLD) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      killTree(pid);
      const r = await done;
      throw new Error(`the up never reached ${THRESHOLD} paused batches:\n${r.stdout}\n${r.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  interrupt(pid);
  const guard = setTimeout(() => killTree(pid), 180_000);
  const r = await done;
  clearTimeout(guard);
  await sg.admin.configure({ faults: false });
  return { code: r.code, output: `${r.stdout}\n${r.stderr}` };
}

function recordedIds(state: StackExport): string[] {
  return (state.deployment.resources ?? []).filter((r) => r.type === BATCH_TYPE && r.id).map((r) => r.id as string);
}

/** What SendGrid holds against what state records. */
async function compare(state: StackExport) {
  const held = (await sg.admin.batches()).filter((b) => b.status !== "active");
  const recorded = new Set(recordedIds(state));
  const statusInState = new Map(
    (state.deployment.resources ?? []).filter((r) => r.type === BATCH_TYPE).map((r) => [r.id, r.outputs?.status] as const),
  );
  return {
    held,
    orphans: held.filter((b) => !recorded.has(b.batch_id)).map((b) => b.batch_id),
    /** Recorded batches whose status differs between state and SendGrid. */
    mismatches: [...recorded].filter((id) => (held.find((b) => b.batch_id === id)?.status ?? "active") !== statusInState.get(id)),
    pendingCreates: (state.deployment.pending_operations ?? []).filter((o) => o.type === "creating").length,
  };
}

describe.each([["SIGINT" as const], ["SIGTERM" as const]])("a graceful %s mid-up", (signal) => {
  test("leaves no batch that state does not know, and the next up converges", async () => {
    const p = await project(`graceful-${signal.toLowerCase()}`);
    const { code } = await interruptedUp(p, (pid) => process.kill(pid, signal));
    const after = await compare(await p.exportState());
    console.log(
      `${signal}: exit ${code}; SendGrid holds ${after.held.length} paused, state records ${after.held.length - after.orphans.length}; ` +
        `orphans ${after.orphans.length}, pending creates ${after.pendingCreates}`,
    );
    expect(after.orphans).toEqual([]);
    expect(after.mismatches).toEqual([]);
    expect(after.held.length).toBeGreaterThanOrEqual(THRESHOLD);
    expect(after.held.length).toBeLessThan(COUNT); // it was interrupted, not finished

    const up = await p.pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.code).toBe(0);
    const final = await compare(await p.exportState());
    expect(final.orphans).toEqual([]);
    expect(final.mismatches).toEqual([]);
    expect(final.held).toHaveLength(COUNT);
    expect(final.held.every((b) => b.status === "paused")).toBe(true);
  });
});

/** The journal's lines (core/journal.ts) as the provider processes wrote them. */
function journalLines(p: CliProject): JournalEntry[] {
  return readJournal(p.journal);
}

/** Ids minted and never handed to the engine: the batches a killed run left that only the journal knows. */
function neverHanded(lines: JournalEntry[]): string[] {
  const handed = new Set(lines.filter((l) => l.event === "handed").map((l) => l.batchId));
  return lines.filter((l) => l.event === "minted" && !handed.has(l.batchId)).map((l) => l.batchId);
}

describe("SIGKILL of the CLI, language host and provider plugin mid-up", () => {
  /** A killed `up`, the lock released, and what it left: the recorded batches and the never-handed ones. */
  async function killedUp(name: string) {
    const p = await project(name);
    let killed = 0;
    await interruptedUp(p, (pid) => {
      killed = killTree(pid);
    });
    // The CLI, the language host (and its node) and the dynamic provider plugin (and its node).
    expect(killed).toBeGreaterThanOrEqual(3);
    const before = await compare(await p.exportState());
    const recordedBefore = new Map(before.held.filter((b) => !before.orphans.includes(b.batch_id)).map((b) => [b.batch_id, b.status]));
    // Batches paused in the last SLOW_MS before the kill had no answer yet: unrecorded, and the
    // journal shows each was minted and never handed to the engine.
    expect(before.orphans.length).toBeGreaterThan(0);
    expect(before.pendingCreates).toBeGreaterThan(0);
    const unhanded = neverHanded(journalLines(p));
    for (const id of before.orphans) expect(unhanded).toContain(id);
    const cancel = await p.pulumi(["cancel", "--yes"]);
    expect(cancel.code).toBe(0);
    return { p, killed, before, recordedBefore, unhanded };
  }

  /** `sendgrid-batches orphans` as the runbook runs it, against a fresh export. */
  async function orphansCommand(p: CliProject, name: string, ...extra: string[]) {
    return p.node(CLI, ["orphans", "--state", await exportFile(p, name), "--api-url", sg.url, "--journal", p.journal, ...extra]);
  }

  /** After recovery: every batch SendGrid holds is recorded, the recorded ones kept their id and status, nothing was released. */
  async function expectRecovered(p: CliProject, recordedBefore: Map<string, string>) {
    const final = await compare(await p.exportState());
    expect(final.orphans).toEqual([]);
    expect(final.mismatches).toEqual([]);
    expect(final.pendingCreates).toBe(0);
    expect(final.held).toHaveLength(COUNT);
    const finalIds = new Set(final.held.map((b) => b.batch_id));
    for (const [id, status] of recordedBefore) {
      expect(status).toBe("paused");
      expect(finalIds.has(id)).toBe(true);
    }
    return final;
  }

  test("the runbook: `pulumi up` again mints its own batches (the dynamic provider names no resource, so it takes nothing over), then `orphans --clear` clears exactly the never-handed ones; state and SendGrid agree", async () => {
    const { p, killed, before, recordedBefore, unhanded } = await killedUp("killed-adopt");
    const listed = await orphansCommand(p, "before");
    expect(listed.code).toBe(0);
    for (const id of before.orphans) expect(listed.stdout).toMatch(new RegExp(`ours {6}${id} {2}paused .*its id reached no program`));
    expect(listed.stdout).toMatch(new RegExp(`${before.pendingCreates} pending operation`));
    // Clearing is refused while the export still has pending creates: `pulumi up` comes first.
    const refused = await orphansCommand(p, "before2", "--clear", "--yes");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not clearing while a run may still be going/);

    // The engine keeps pending creates until told to drop them. The next `up`'s creates mint their
    // own batches: a create that cannot name its resource has no proof a stranded id is its own.
    const refresh = await p.pulumi(["refresh", "--clear-pending-creates", "--yes", "--non-interactive"]);
    expect(refresh.code).toBe(0);
    await sg.admin.clearRequests();
    const up = await p.pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.code).toBe(0);
    expect(up.stdout + up.stderr).not.toMatch(/took over batch/);
    expect(journalLines(p).filter((l) => l.event === "claimed")).toEqual([]);
    expect((await sg.admin.requests()).filter((r) => r.method === "DELETE")).toEqual([]);

    await sg.admin.clearRequests();
    const after = await orphansCommand(p, "after", "--clear", "--yes");
    expect(after.code).toBe(0);
    for (const id of before.orphans) expect(after.stdout).toContain(`cleared ${id} (was paused)`);
    const deletes = (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
    expect(deletes.sort()).toEqual([...before.orphans].sort());
    const final = await expectRecovered(p, recordedBefore);
    for (const id of unhanded) expect(final.held.map((b) => b.batch_id)).not.toContain(id);
    console.log(
      `SIGKILL (${killed} processes) of 20 paused: ${recordedBefore.size} recorded, ${unhanded.length} minted and never handed ` +
        `(${before.orphans.length} of them paused): taken over 0, cleared ${deletes.length}, left 0`,
    );
  });

  test("pending creates dropped instead: `orphans --clear` clears exactly the never-handed batches, then `up` recreates; 0 left", async () => {
    const { p, before, recordedBefore, unhanded } = await killedUp("killed-clear");
    const refresh = await p.pulumi(["refresh", "--clear-pending-creates", "--yes", "--non-interactive"]);
    expect(refresh.code).toBe(0);
    await sg.admin.clearRequests();
    const cleared = await orphansCommand(p, "after-refresh", "--clear", "--yes");
    expect(cleared.code).toBe(0);
    for (const id of before.orphans) expect(cleared.stdout).toContain(`cleared ${id} (was paused)`);
    const deletes = (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
    expect(deletes.sort()).toEqual([...before.orphans].sort());
    for (const id of deletes) expect(unhanded).toContain(id);

    const up = await p.pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.code).toBe(0);
    await expectRecovered(p, recordedBefore);
    console.log(`SIGKILL, pending creates dropped: cleared with proof ${deletes.length}, adopted 0, left 0`);
  });
});

async function exportFile(p: CliProject, name: string): Promise<string> {
  const file = path.join(p.dir, "..", `${name}.json`);
  const r = await p.pulumi(["stack", "export", "--file", file]);
  if (r.code !== 0) throw new Error(r.stderr);
  return file;
}
