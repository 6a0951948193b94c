// The files made from the property table (core/properties.ts) by `npm run generate`: the typed args
// of both Pulumi adapters, the CDK's enums and props, and the docs' property tables. Each committed
// file is exactly what the generator makes of today's table, regenerated into a temporary directory.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generate, withSection } from "../scripts/generate";
import { REPO_ROOT } from "../scripts/lib/engine";

let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sg-generate-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Whether git would commit `file` (tracked or new, not ignored). */
const committable = (file: string) =>
  execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", file], { cwd: REPO_ROOT }).toString().trim() ===
  file;

test("the generated files are current: regenerating them from the table changes nothing", () => {
  const written = generate(tmp);
  expect(written.sort()).toEqual([
    "cdk/properties.generated.ts",
    "docs/cloudformation.md",
    "docs/plugin.md",
    "docs/resource.md",
    "plugin/args.generated.ts",
    "provider/args.generated.ts",
  ]);
  const stale = written.filter(
    (f) => !committable(f) || fs.readFileSync(path.join(tmp, f), "utf8") !== fs.readFileSync(path.join(REPO_ROOT, f), "utf8"),
  );
  if (stale.length) throw new Error(`generated files are stale; run \`npm run generate\` and commit the result:\n${stale.join("\n")}`);
});

test("a page's section is replaced between its markers, the rest kept; a page without them is refused", () => {
  const begin = "<!-- generated: t (npm run generate, from core/properties.ts; edit the table there) -->";
  const end = "<!-- end generated: t -->";
  expect(withSection("p.md", `# P\n\n${begin}\n\nold\n\n${end}\n\nhand\n`, "t", "new")).toBe(`# P\n\n${begin}\n\nnew\n\n${end}\n\nhand\n`);
  expect(() => withSection("p.md", "# P\n\nno markers\n", "t", "new")).toThrow(`p.md has no section between "${begin}" and "${end}"`);
});
