// Every GitHub Actions workflow in the repository passes actionlint (built from its Go module by
// scripts/ensure-actionlint.sh, cached outside the repo; `npm test` passes it in ACTIONLINT), and a
// deliberately broken copy is rejected, so the check can fail. actionlint also runs shellcheck on
// `run:` scripts when shellcheck is on PATH.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

let actionlint = "";
beforeAll(() => {
  actionlint =
    process.env.ACTIONLINT ||
    (execFileSync("bash", [path.join(ROOT, "scripts", "ensure-actionlint.sh")], { encoding: "utf8", timeout: 600_000 })
      .trim()
      .split("\n")
      .pop() as string);
}, 600_000);

/** Workflow files: the examples users copy, and the repository's own workflows if it has any. */
function workflowFiles(): string[] {
  const dirs = [path.join(ROOT, "examples", "github-actions"), path.join(ROOT, ".github", "workflows")];
  return dirs
    .filter((d) => fs.existsSync(d))
    .flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

interface Finding {
  message: string;
  filepath: string;
  line: number;
  kind: string;
}

function lint(files: string[]): { code: number | null; findings: Finding[]; stderr: string } {
  // -pyflakes=: no Python in these workflows. The JSON format makes findings comparable.
  const r = spawnSync(actionlint, ["-pyflakes=", "-format", "{{json .}}", ...files], { encoding: "utf8", cwd: ROOT });
  const out = r.stdout.trim();
  return { code: r.status, findings: out === "" ? [] : (JSON.parse(out) as Finding[]), stderr: r.stderr };
}

test("the workflows checked include both examples and the release workflow (the list is not empty by accident)", () => {
  expect(workflowFiles().map((f) => path.relative(ROOT, f))).toEqual(
    expect.arrayContaining([
      path.join("examples", "github-actions", "pulumi-preview.yml"),
      path.join("examples", "github-actions", "pulumi-up.yml"),
      path.join(".github", "workflows", "release.yml"),
    ]),
  );
});

test("actionlint reports 0 findings on every workflow in the repository", () => {
  const files = workflowFiles();
  const { code, findings, stderr } = lint(files);
  expect(findings).toEqual([]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
});

describe("a broken copy is rejected", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-actionlint-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const source = () => fs.readFileSync(path.join(ROOT, "examples", "github-actions", "pulumi-preview.yml"), "utf8");

  test.each([
    [
      "an undefined context (secret. for secrets.)",
      (t: string) => t.replace("secrets.SENDGRID_API_KEY", "secret.SENDGRID_API_KEY"),
      "expression",
    ],
    ["a job without runs-on", (t: string) => t.replace(/^ {4}runs-on: ubuntu-latest\n/m, ""), "syntax-check"],
    ["a misspelled event", (t: string) => t.replace("pull_request:", "pull_requests:"), "events"],
  ])("%s", (_name, breakIt, kind) => {
    const broken = breakIt(source());
    expect(broken).not.toBe(source());
    const file = path.join(dir, "pulumi-preview.yml");
    fs.writeFileSync(file, broken);
    const { code, findings } = lint([file]);
    expect(code).toBe(1);
    expect(findings.map((f) => f.kind)).toContain(kind);
  });
});
