// The generated Go SDK (sdk/go) builds and passes `go vet` against github.com/pulumi/pulumi/sdk/v3 at
// the CLI's version, and under Pulumi's Go mocks (pulumi.RunErr with pulumi.WithMocks, in the pinned
// module test/sdk-go) sends the wire the TypeScript classes send (test/support/sdkWire.ts). The
// first build compiles Pulumi's Go SDK: measured 66 s when Go's build cache holds the CLI and
// generator builds, 338 s from an empty one; 4 s after that. `npm test` compiles it before the
// suites start. Nothing is skipped: with no Go, scripts/ensure-pulumi.sh (run by `npm test` first)
// provisions one.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../scripts/lib/engine";
import { expectedWire, normalise, type Registration, SCENARIO, SDK_VERSION } from "./support/sdkWire";

const MODULE_DIR = path.join(__dirname, "sdk-go");
const SDK_PACKAGES = "github.com/pulumi-sendgrid-scheduled-batch/pulumi-sendgrid-scheduled-batch/sdk/go/...";

const goBin = () =>
  execFileSync("bash", ["-c", `source ${JSON.stringify(path.join(REPO_ROOT, "scripts", "lib", "go-tool-cache.sh"))} && find_go`])
    .toString()
    .trim();

// As the project's other Go builds (scripts/lib/go-tool-cache.sh): exactly the committed go.mod/go.sum,
// and -trimpath, so Go's build cache serves what the CLI and generator builds compiled (and what
// scripts/test.sh compiled before the suites, with the same settings).
const goEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  CGO_ENABLED: "0",
  GOWORK: "off",
  GOFLAGS: "-mod=readonly -buildvcs=false -trimpath",
  ...extra,
});

const go = (args: string[], env = goEnv()) => {
  try {
    return execFileSync(goBin(), args, { cwd: MODULE_DIR, env, stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`go ${args.join(" ")} failed:\n${err.stdout?.toString() ?? ""}${err.stderr?.toString() ?? ""}`);
  }
};

let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-sdk-go-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("sdk/go builds and `go vet`s clean, with the mocks test", () => {
  go(["vet", SDK_PACKAGES, "./..."]);
}, 900_000);

test("under Pulumi's Go mocks it sends the token, status/sendAt/batchId, the enums' values and apiKey as a secret", () => {
  const out = path.join(tmp, "wire.json");
  go(["test", "-count=1", "./..."], goEnv({ SDK_SCENARIO: JSON.stringify(SCENARIO), SDK_WIRE_OUT: out }));
  const wire = normalise(JSON.parse(fs.readFileSync(out, "utf8")) as Registration[]);
  expect(wire).toEqual(expectedWire(SDK_VERSION));
}, 900_000);
