// `pulumi up` of 50 batches through the real engine while the emulator injects 5xx, connection
// resets, slow answers and 429 bursts (a fixed seed, before and after the work is done). The stack
// converges in at most one more `up`, and then state and SendGrid agree on every batch. The ups run
// one step at a time: the emulator draws its faults from a seeded sequence in arrival order, so a
// fixed order makes the run the same every time (with the engine's parallelism the seed met a
// different order each run, and a create could draw two faults in a row in both ups).
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";
import { useEmulator } from "./support/emulator";
import { ScheduledBatch, type BatchStatus } from "../provider";
import { localStack, type LocalStack } from "../scripts/lib/engine";

jest.setTimeout(600_000);

const COUNT = 50;
// SendGrid allows 10 paused/cancelled batches per account: 6 paused + 4 cancelled, the rest active.
const statusOf = (i: number): BatchStatus => (i < 6 ? "paused" : i < 10 ? "cancelled" : "active");

const sg = useEmulator();
let s: LocalStack;

beforeAll(async () => {
  s = await localStack({
    projectName: "sendgrid-faults",
    program: async () => {
      for (let i = 0; i < COUNT; i++) new ScheduledBatch(`b${i}`, { status: statusOf(i), apiUrl: sg.url });
    },
    env: { SENDGRID_API_KEY: DEFAULT_EMULATOR_API_KEY },
  });
});
afterAll(async () => {
  await s.dispose();
});

test(`up of ${COUNT} batches under injected faults converges, and state equals SendGrid`, async () => {
  await sg.admin.configure({
    faults: { seed: 20261124, rate: 0.25, kinds: ["500", "503", "reset", "slow", "429"], slowMs: 300, phase: "mixed", maxConsecutive: 2 },
  });
  let ups = 0;
  let converged = false;
  const failures: string[] = [];
  while (!converged && ups < 2) {
    ups++;
    converged = await s.stack.up({ parallel: 1 }).then(
      () => true,
      (err: unknown) => {
        failures.push(String(err).slice(-3000)); // the engine's diagnostics, for a failing run
        return false;
      },
    );
  }
  expect({ converged, failures }).toEqual({ converged: true, failures: ups === 2 ? [expect.any(String)] : [] });
  const log = await sg.admin.requests();
  const faulted = log.filter((r) => r.fault !== null);
  expect(faulted.length).toBeGreaterThan(10); // the faults really happened
  expect(new Set(faulted.map((r) => r.fault?.kind)).size).toBeGreaterThanOrEqual(4);

  // Compare what state recorded with what SendGrid holds.
  await sg.admin.configure({ faults: false });
  const exported = await s.stack.exportStack();
  const recorded = new Map<string, string>();
  for (const r of exported.deployment.resources as Array<{ type: string; id: string; urn: string; outputs: { status: string } }>) {
    if (!r.type.endsWith(":ScheduledBatch")) continue;
    recorded.set(r.id, r.outputs.status);
    const i = Number(r.urn.split("::b").pop());
    expect(r.outputs.status).toBe(statusOf(i));
  }
  expect(recorded.size).toBe(COUNT);
  const held = await sg.admin.batches();
  const mismatches = [...recorded].filter(([id, status]) => held.find((b) => b.batch_id === id)?.status !== status);
  expect(mismatches).toEqual([]);
  // Batches SendGrid holds that state does not know are only unused active ids (from retried creates).
  const unknownNonActive = held.filter((b) => !recorded.has(b.batch_id) && b.status !== "active");
  expect(unknownNonActive).toEqual([]);

  // And a third up is a no-op: nothing left to fix.
  await sg.admin.clearRequests();
  const again = await s.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: COUNT + 1 });
  expect((await sg.admin.requests()).filter((r) => r.path.startsWith("/v3/"))).toEqual([]);
  console.log(`faults injected: ${faulted.length} of ${log.length} requests; ups needed: ${ups}; unused ids: ${held.length - COUNT}`);
});
