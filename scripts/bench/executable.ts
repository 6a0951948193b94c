// The self-contained plugin executable (scripts/release/): its size and gzipped size, and how long a
// plugin process takes from spawn to its first answered RPC (GetPluginInfo), the executable beside
// the npm package's `node` script (bin/pulumi-resource-sendgrid-batch), alternating, in fresh
// processes. Engine time with the executable is the engine module's `pluginExe` kind.

import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { REPO_ROOT } from "../lib/repoRoot";
import { buildPluginTarball, PLUGIN_NAME } from "../release/pluginExecutable";
import { type Result, log, median, percentile, round } from "./util";

/** ms from spawn to GetPluginInfo answered, for one fresh plugin process. */
async function startToFirstRpc(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "pipe", "ignore"], env });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
      child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}`)));
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => client.getPluginInfo(new Empty(), (err) => (err ? reject(err) : resolve())));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    client.close();
    return ms;
  } finally {
    child.kill();
  }
}

/** The executable for this machine (from the cache when unchanged), extracted from its tarball. */
export async function extractedExecutable(): Promise<{ dir: string; tarballBytes: number; exeBytes: number; dispose(): void }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-exe-"));
  const built = await buildPluginTarball(out, log);
  const dir = path.join(out, "exe");
  fs.mkdirSync(dir);
  fs.copyFileSync(built.executable.executable, path.join(dir, path.basename(built.executable.executable)));
  fs.chmodSync(path.join(dir, path.basename(built.executable.executable)), 0o755);
  return {
    dir,
    tarballBytes: fs.statSync(built.tarball).size,
    exeBytes: fs.statSync(built.executable.executable).size,
    dispose: () => fs.rmSync(out, { recursive: true, force: true }),
  };
}

export async function executable(starts: number): Promise<Result> {
  const exe = await extractedExecutable();
  try {
    const env = { PATH: process.env.PATH ?? "" };
    const kinds = {
      executable: () => startToFirstRpc(path.join(exe.dir, PLUGIN_NAME), [], env),
      "node script": () => startToFirstRpc(process.execPath, [path.join(REPO_ROOT, "bin", PLUGIN_NAME)], env),
    };
    const times: Record<string, number[]> = { executable: [], "node script": [] };
    for (const k of Object.keys(kinds) as (keyof typeof kinds)[]) await kinds[k](); // unmeasured warm-up (page cache)
    for (let i = 0; i < starts; i++) {
      for (const k of (i % 2 ? ["node script", "executable"] : ["executable", "node script"]) as (keyof typeof kinds)[]) {
        times[k].push(await kinds[k]());
      }
      log(`executable: start ${i + 1}/${starts}`);
    }
    const mb = (b: number) => round(b / 1e6);
    const json = {
      executableBytes: exe.exeBytes,
      tarballBytes: exe.tarballBytes,
      startToFirstRpcMs: Object.fromEntries(
        Object.entries(times).map(([k, t]) => [k, { median: round(median(t)), p90: round(percentile(t, 90)) }]),
      ),
    };
    return {
      tables: [
        {
          title: "The self-contained plugin executable",
          headers: ["measure", "value"],
          rows: [
            ["executable, MB", mb(exe.exeBytes)],
            ["tarball (gzipped), MB", mb(exe.tarballBytes)],
          ],
        },
        {
          title: `Plugin start to first answered RPC (GetPluginInfo), ${starts} fresh processes each, alternating (ms)`,
          headers: ["plugin", "median", "p90"],
          rows: Object.entries(times).map(([k, t]) => [k, round(median(t)), round(percentile(t, 90))]),
        },
      ],
      json,
    };
  } finally {
    exe.dispose();
  }
}
