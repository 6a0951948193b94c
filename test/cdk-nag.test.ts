// cdk-nag's AwsSolutions pack on the example app (examples/cdk) and on the SSM + KMS variant: no
// finding is left unacknowledged, and each acknowledgement (made by the constructs with CDK's own
// Validations API, so users need no cdk-nag) names one rule and gives its reason.

import { App, Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { AwsSolutionsChecks } from "cdk-nag";
import { BatchStatus, Region, ScheduledBatch, SendGridApiKey, SendGridBatchProvider } from "../cdk";

// The example imports the constructs by package name; here that is the source.
jest.mock("pulumi-sendgrid-scheduled-batch/cdk", () => jest.requireActual("../cdk"), { virtual: true });
import { BatchesStack } from "../examples/cdk/lib/batches-stack";

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0c7a1d1e-1111-4222-8333-444455556666";

function exampleApp(): App {
  const app = new App();
  new BatchesStack(app, "SendGridBatches");
  return app;
}

function ssmApp(): App {
  const app = new App();
  const stack = new Stack(app, "SsmBatches", { env: { account: "123456789012", region: "eu-west-1" } });
  const provider = new SendGridBatchProvider(stack, "SendGrid", {
    apiKey: SendGridApiKey.fromParameterName("/sendgrid/api-key", { kmsKeyArn: KEY_ARN }),
  });
  new ScheduledBatch(stack, "Newsletter", { provider, status: BatchStatus.PAUSED, region: Region.EU });
  return app;
}

/** Every acknowledgement in the tree: the construct's path, the rule and the reason. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        // CDK records each id with its kind ("Annotation::"), which cdk-nag strips.
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ""),
          reason,
        })),
      ),
  );
}

/** A finding's name with the log group's logical id, and the stack's region and account when it has them, as placeholders. */
function normalised(finding: string): string {
  return finding
    .replace(/<SendGridLogs[0-9A-F]{8}>/, "<LOG_GROUP>")
    .replace(/:(logs|cloudformation):eu-west-1:123456789012:/, ":$1:<AWS::Region>:<AWS::AccountId>:");
}

const apps: [string, () => App][] = [
  ["the example app", exampleApp],
  ["an SSM parameter with a customer-managed key", ssmApp],
];

describe.each(apps)("AwsSolutions on %s", (_name, make) => {
  test("finds nothing unacknowledged", () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(make());
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  test("as users run it (a validation plugin of the app), synth succeeds", () => {
    const app = make();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test("three acknowledgements, each with its reason: the log streams' and the stacks' wildcards (IAM5) and nodejs22.x (L1)", () => {
    const acks = acknowledgements(make());
    expect(acks.map((a) => [a.path.replace(/^[^/]+\//, ""), normalised(a.id)])).toEqual([
      [
        "SendGrid/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<LOG_GROUP>:log-stream:*]",
      ],
      ["SendGrid/Role", "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*/*]"],
      ["SendGrid/Function", "AwsSolutions-L1"],
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(60);
  });

  test("without them, exactly those three findings appear (so the check can fail)", () => {
    const acknowledge = jest.spyOn(Validations.prototype, "acknowledge").mockImplementation(() => undefined);
    try {
      const report = new AwsSolutionsChecks().validateScope(make());
      expect(report.violations.map((v) => [normalised(v.ruleName), v.severity])).toEqual([
        [
          "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<LOG_GROUP>:log-stream:*]",
          "error",
        ],
        ["AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*/*]", "error"],
        ["AwsSolutions-L1", "error"],
      ]);
      const app = make();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:.*:log-stream:\*\][\s\S]*AwsSolutions-L1/);
    } finally {
      acknowledge.mockRestore();
    }
  });
});
