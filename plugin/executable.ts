// Entry point of the self-contained `pulumi-resource-sendgrid-batch` executable (scripts/release/
// bundles it with the @pulumi/pulumi it was tested with into one Node.js single executable
// application): the engine's arguments, or `--version`.
import { run } from "./main";

run(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
