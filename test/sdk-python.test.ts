// The generated Python SDK (sdk/python) installs with pip into a venv whose only other packages are
// Pulumi's Python SDK at the CLI's version (scripts/ensure-pulumi-python.sh) and its declared
// dependencies, with no package index (so its requirements must be met by them), and under Pulumi's
// Python mocks sends the wire the TypeScript classes send (test/support/sdkWire.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../scripts/lib/engine";
import { freshVenv, pipInstall, run } from "./support/pythonVenv";
import { expectedWire, normalise, type Registration, SCENARIO, SDK_VERSION } from "./support/sdkWire";

let tmp = "";
let python = "";

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-sdk-python-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("pip installs sdk/python into a fresh venv beside pulumi==<the CLI's version>, offline", () => {
  // A throwaway venv that sees the cached one's packages (a .pth line), so the cache is never written.
  const fresh = freshVenv(path.join(tmp, "venv"));
  const venv = fresh.dir;
  python = fresh.python;
  // A copy: pip builds in the source tree (build/, *.egg-info), which must stay as generated.
  const source = path.join(tmp, "sdk-python");
  fs.cpSync(path.join(REPO_ROOT, "sdk", "python"), source, { recursive: true });
  pipInstall(fresh, source);

  const installed = run(python, [
    "-c",
    "import importlib.metadata as m, json; print(json.dumps([m.version('pulumi_sendgrid_batch'), m.version('pulumi')]))",
  ]);
  expect(JSON.parse(installed)).toEqual([SDK_VERSION, require("@pulumi/pulumi/package.json").version]);
  // The package came from the fresh venv, pulumi from the cached one.
  const where = run(python, ["-c", "import pulumi_sendgrid_batch, pulumi; print(pulumi_sendgrid_batch.__file__); print(pulumi.__file__)"]);
  expect(where.split("\n")[0].startsWith(venv)).toBe(true);
  run(python, ["-m", "pip", "check"], { ...process.env, PYTHONPATH: "" });
}, 600_000);

test("under Pulumi's Python mocks it sends the token, status/sendAt/batchId, the enums' values and apiKey as a secret", () => {
  expect(python).not.toBe("");
  const out = run(python, [path.join(__dirname, "sdk-python", "mocks_program.py"), JSON.stringify(SCENARIO)]);
  const wire = normalise(JSON.parse(out) as Registration[]);
  expect(wire).toEqual(expectedWire(SDK_VERSION));
}, 120_000);
