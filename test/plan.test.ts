import { plan, type Step } from "../core/plan";
import type { BatchStatus } from "../core/types";

describe("the batch state machine", () => {
  const cases: Array<[BatchStatus, BatchStatus, Step[]]> = [
    ["active", "active", []],
    ["paused", "paused", []],
    ["cancelled", "cancelled", []],
    ["active", "paused", [{ kind: "createStatus", status: "pause" }]],
    ["active", "cancelled", [{ kind: "createStatus", status: "cancel" }]],
    ["paused", "cancelled", [{ kind: "updateStatus", status: "cancel" }]],
    ["cancelled", "paused", [{ kind: "updateStatus", status: "pause" }]],
    ["paused", "active", [{ kind: "clearStatus" }]],
    ["cancelled", "active", [{ kind: "clearStatus" }]],
  ];

  test.each(cases)("%s → %s takes exactly the SendGrid calls the rules allow", (from, to, steps) => {
    expect(plan(from, to)).toEqual(steps);
  });

  test("every transition between different states is exactly one request", () => {
    const all: BatchStatus[] = ["active", "paused", "cancelled"];
    for (const a of all) for (const b of all) expect(plan(a, b)).toHaveLength(a === b ? 0 : 1);
  });
});
