// The `sendgrid-emulator` bin: compiled from emulator/cli.ts (as `npm run build` would), started on
// a free port, called over HTTP, and stopped with SIGTERM.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { DEFAULT_EMULATOR_API_KEY } from "../emulator";

const ROOT = path.join(__dirname, "..");
let outDir: string;
let cliJs: string;

beforeAll(() => {
  outDir = mkdtempSync(path.join(tmpdir(), "sendgrid-emulator-cli-"));
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("cannot read tsconfig.json");
  const program = ts.createProgram([path.join(ROOT, "emulator", "cli.ts")], {
    ...config.options,
    outDir,
    rootDir: ROOT,
    declaration: false,
    noEmit: false,
  });
  const result = program.emit();
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length)
    throw new Error(
      ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" }),
    );
  cliJs = path.join(outDir, "emulator", "cli.js");
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cliJs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out });
    });
    child.on("exit", (code) => reject(new Error(`cli exited early with ${code}: ${out}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

test("the bin keeps its shebang", () => {
  expect(readFileSync(cliJs, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
});

test("starts on --port 0, prints its URL, serves SendGrid with the given key and rate limit, and exits 0 on SIGTERM", async () => {
  const key = "SG.cli-test-key";
  const { child, url, output } = await startCli(["--port", "0", "--api-key", key, "--rate-limit", "5", "--rate-window", "30"]);
  const exited = exitCode(child);
  try {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/v3/mail/batch`, { method: "POST", headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    const defaultKey = await fetch(`${url}/v3/mail/batch`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEFAULT_EMULATOR_API_KEY}` },
    });
    expect(defaultKey.status).toBe(401);
    expect(output()).not.toContain(key);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
});

test("exits 0 on SIGINT too", async () => {
  const { child } = await startCli(["--port", "0"]);
  const exited = exitCode(child);
  child.kill("SIGINT");
  expect(await exited).toBe(0);
});

test("refuses an unknown flag with exit code 2 and the usage", async () => {
  const child = spawn(process.execPath, [cliJs, "--bogus"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  expect(await exitCode(child)).toBe(2);
  expect(err).toContain("Usage: sendgrid-emulator");
});
