// An interrupted `pulumi up` must not strand paused batches (issue 9, path 1). The real `pulumi`
// CLI with a file backend runs a project declaring 20 paused batches against the emulator, and is
// interrupted mid-run:
// - gracefully (SIGINT, SIGTERM to the CLI): the engine finishes the steps in flight and records
//   them, so no batch is left that state does not know;
// - brutally (SIGKILL of the CLI, its language host and the provider plugin, as when a CI runner
//   is stopped): batches paused but not yet recorded are orphans holding quota slots, and the
//   documented runbook (docs/reliability.md "After an interrupted run") frees them, recreates what
//   is missing, and leaves every recorded batch as it was.
//
// Timing is made deterministic by the emulator, not by sleeps: every SendGrid request is applied
// at once but answered 3 s later (a "slow" fault in the "after" phase), so a batch that has just
// become paused is certain to be unrecorded for 3 s; the test interrupts right after the count of
// paused batches passes a threshold.

import * as path from "node:path";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { REPO_ROOT } from "../scripts/lib/engine";
import { useEmulator } from "./support/emulator";
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

describe("SIGKILL of the CLI, language host and provider plugin mid-up", () => {
  test("strands paused batches; the runbook finds and frees them, recorded batches are untouched, state and SendGrid agree", async () => {
    const p = await project("killed");
    let killed = 0;
    await interruptedUp(p, (pid) => {
      killed = killTree(pid);
    });
    // The CLI, the language host (and its node) and the dynamic provider plugin (and its node).
    expect(killed).toBeGreaterThanOrEqual(3);
    const exported = await p.exportState();
    const before = await compare(exported);
    const recordedBefore = new Map(before.held.filter((b) => !before.orphans.includes(b.batch_id)).map((b) => [b.batch_id, b.status]));
    console.log(
      `SIGKILL (${killed} processes): SendGrid holds ${before.held.length} paused, state records ${recordedBefore.size}; ` +
        `orphans before recovery: ${before.orphans.length}; pending creates ${before.pendingCreates}`,
    );
    // Batches paused in the last SLOW_MS before the kill had no answer yet: they are orphans.
    expect(before.orphans.length).toBeGreaterThan(0);
    expect(before.pendingCreates).toBeGreaterThan(0);

    // The runbook, command by command.
    const cancel = await p.pulumi(["cancel", "--yes"]);
    expect(cancel.code).toBe(0);
    const listed = await p.node(CLI, ["orphans", "--state", await exportFile(p, "before"), "--api-url", sg.url]);
    expect(listed.code).toBe(0);
    for (const id of before.orphans) expect(listed.stdout).toContain(`orphan  ${id}  paused`);
    expect(listed.stdout).toMatch(new RegExp(`${before.pendingCreates} pending operation`));
    // Clearing is refused while the export still has pending creates (a run might still be going).
    const refused = await p.node(CLI, ["orphans", "--state", await exportFile(p, "before2"), "--api-url", sg.url, "--clear", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not clearing while a given stack has pending operations/);

    const refresh = await p.pulumi(["refresh", "--clear-pending-creates", "--yes", "--non-interactive"]);
    expect(refresh.code).toBe(0);
    await sg.admin.clearRequests();
    const cleared = await p.node(CLI, [
      "orphans",
      "--state",
      await exportFile(p, "after-refresh"),
      "--api-url",
      sg.url,
      "--clear",
      "--yes",
    ]);
    expect(cleared.code).toBe(0);
    for (const id of before.orphans) expect(cleared.stdout).toContain(`cleared ${id} (was paused)`);
    const deletes = (await sg.admin.requests()).filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
    expect(deletes.sort()).toEqual([...before.orphans].sort());

    const up = await p.pulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    expect(up.code).toBe(0);

    const final = await compare(await p.exportState());
    console.log(`SIGKILL: orphans after recovery: ${final.orphans.length}; SendGrid holds ${final.held.length} paused, all recorded`);
    expect(final.orphans).toEqual([]);
    expect(final.mismatches).toEqual([]);
    expect(final.pendingCreates).toBe(0);
    expect(final.held).toHaveLength(COUNT);
    // Every batch recorded before the recovery is still there, under the same id, still paused.
    const finalIds = new Set(final.held.map((b) => b.batch_id));
    for (const [id, status] of recordedBefore) {
      expect(status).toBe("paused");
      expect(finalIds.has(id)).toBe(true);
    }
    for (const id of before.orphans) expect(finalIds.has(id)).toBe(false);
  });
});

async function exportFile(p: CliProject, name: string): Promise<string> {
  const file = path.join(p.dir, "..", `${name}.json`);
  const r = await p.pulumi(["stack", "export", "--file", file]);
  if (r.code !== 0) throw new Error(r.stderr);
  return file;
}
