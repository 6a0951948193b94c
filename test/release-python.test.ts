// The Python SDK as the release publishes it (`npm run dist`'s sdist and wheel, scripts/release/):
// named at package.json's version, the wheel carries pulumi-plugin.json (the version and the
// plugin's download server), and installed with pip into a fresh venv (offline, beside
// pulumi==<the CLI's version>) it passes the SDK's mocks test.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pkg from "../package.json";
import { sendgridBatchProvider } from "../plugin/provider";
import { buildPythonSdk } from "../scripts/release/index";
import { freshVenv, pipInstall, run } from "./support/pythonVenv";
import { expectedWire, normalise, type Registration, SCENARIO } from "./support/sdkWire";

jest.setTimeout(600_000);

let tmp = "";
let built: string[] = [];
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-release-python-"));
  const out = path.join(tmp, "out");
  fs.mkdirSync(out);
  built = buildPythonSdk(out);
}, 600_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const schema = () => JSON.parse(sendgridBatchProvider(pkg).provider.schema ?? "") as { pluginDownloadURL: string };

test("the sdist and the wheel are named at package.json's version", () => {
  expect(built.map((f) => path.basename(f))).toEqual([
    `pulumi_sendgrid_batch-${pkg.version}.tar.gz`,
    `pulumi_sendgrid_batch-${pkg.version}-py3-none-any.whl`,
  ]);
  for (const f of built) expect(fs.statSync(f).size).toBeGreaterThan(0);
});

test("the wheel installs into a fresh venv, offline, and under Pulumi's mocks sends the SDK's wire", () => {
  const venv = freshVenv(path.join(tmp, "venv"));
  pipInstall(venv, built[1]);
  const meta = run(venv.python, [
    "-c",
    "import importlib.metadata as m, importlib.resources as r, json; print(json.dumps([m.version('pulumi_sendgrid_batch'), json.loads(r.files('pulumi_sendgrid_batch').joinpath('pulumi-plugin.json').read_text())]))",
  ]);
  expect(JSON.parse(meta)).toEqual([
    pkg.version,
    { resource: true, name: "sendgrid-batch", version: pkg.version, server: schema().pluginDownloadURL },
  ]);
  // From the wheel, not from a source tree: the package lives in the fresh venv.
  expect(run(venv.python, ["-c", "import pulumi_sendgrid_batch; print(pulumi_sendgrid_batch.__file__)"]).startsWith(venv.dir)).toBe(true);
  const out = run(venv.python, [path.join(__dirname, "sdk-python", "mocks_program.py"), JSON.stringify(SCENARIO)]);
  expect(normalise(JSON.parse(out) as Registration[])).toEqual(expectedWire(pkg.version));
});
