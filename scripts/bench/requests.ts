// SendGrid requests per operation: one ScheduledBatch walked through every transition by the real
// engine, each operation's /v3 requests counted from the emulator's log.

import { manyStack } from "./programs";
import { type BenchContext, type Result, log, sendGridCalls } from "./util";

type Status = "active" | "paused" | "cancelled";
// [operation, engine call, status in config before it, the limit: 1 per transition (+1 for the id on
// create), 0 for preview and no-op up, 1 read for refresh]. Each row starts where the last one left.
const OPS: [string, "up" | "preview" | "refresh" | "destroy", Status | undefined, number][] = [
  ["preview of a new stack", "preview", "active", 0],
  ["create active", "up", "active", 1],
  ["no-op preview", "preview", undefined, 0],
  ["no-op up", "up", undefined, 0],
  ["refresh (active)", "refresh", undefined, 1],
  ["pause (active→paused)", "up", "paused", 1],
  ["refresh (paused)", "refresh", undefined, 1],
  ["resume (paused→active)", "up", "active", 1],
  ["cancel (active→cancelled)", "up", "cancelled", 1],
  ["un-cancel (cancelled→active)", "up", "active", 1],
  ["pause (active→paused), again", "up", "paused", 1],
  ["cancel (paused→cancelled)", "up", "cancelled", 1],
  ["un-cancel (cancelled→paused)", "up", "paused", 1],
  ["destroy (paused)", "destroy", undefined, 1],
  ["create paused", "up", "paused", 2],
  ["cancel (paused→cancelled), again", "up", "cancelled", 1],
  ["destroy (cancelled)", "destroy", undefined, 0],
  ["create cancelled", "up", "cancelled", 2],
  ["un-cancel (cancelled→active), again", "up", "active", 1],
  ["destroy (active)", "destroy", undefined, 1],
];

export async function requestsPerOperation({ url, admin }: BenchContext): Promise<Result> {
  const s = await manyStack("batch", 1, url, "ops");
  const rows: (string | number)[][] = [];
  const json: Record<string, number> = {};
  try {
    for (const [name, run, status, limit] of OPS) {
      if (status) await s.stack.setConfig("status", { value: status });
      await admin.clearRequests();
      log(`requests: ${name}`);
      await s.stack[run]();
      const calls = await sendGridCalls(admin);
      json[name] = calls.length;
      rows.push([name, calls.join(", ") || "—", calls.length, limit, calls.length > limit ? `+${calls.length - limit}` : "0"]);
    }
  } finally {
    await s.dispose();
  }
  const excess = rows.reduce((a, r) => a + Math.max(0, Number(r[2]) - Number(r[3])), 0);
  return {
    tables: [
      { title: "SendGrid requests per operation (one ScheduledBatch)", headers: ["operation", "requests", "n", "limit", "excess"], rows },
    ],
    json: { perOperation: json, excessOverLimit: excess },
  };
}
