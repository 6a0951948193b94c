// The plugin is a second adapter over the core, not a second implementation: it reaches SendGrid
// only through core/, and shares with the dynamic provider only the Pulumi lifecycle (pulumi/),
// never the dynamic provider's own code.
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

test("plugin/ imports the core, the Pulumi lifecycle and Pulumi's SDK, never provider/, lambda/, cli/, emulator/ or @sendgrid/*", () => {
  const offending: string[] = [];
  for (const file of fs.readdirSync(path.join(ROOT, "plugin")).filter((f) => f.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(ROOT, "plugin", file), "utf8");
    for (const [, spec] of text.matchAll(/(?:from\s+|require\(|import\()\s*["']([^"']+)["']/g)) {
      const ok =
        spec.startsWith("./") ||
        spec === "../core" ||
        spec.startsWith("../core/") ||
        spec.startsWith("../pulumi/") || // the lifecycle both Pulumi adapters share
        spec === "../../package.json" || // the package's version, for the plugin's
        spec.startsWith("@pulumi/pulumi") ||
        // the SDK server's own transport, loaded from the SDK's location (plugin/sdkServer.ts)
        spec === "@grpc/grpc-js" ||
        spec.startsWith("google-protobuf/") ||
        spec === "pulumi-sendgrid-scheduled-batch/plugin" || // the usage line in a doc comment
        spec.startsWith("node:");
      if (!ok) offending.push(`plugin/${file} → ${spec}`);
    }
  }
  expect(offending).toEqual([]);
});
