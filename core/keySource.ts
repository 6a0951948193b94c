// Where a Custom::SendGridScheduledBatch resource says the SendGrid API key is: a pointer (a Secrets
// Manager secret's full ARN or an SSM SecureString parameter's name), never the key. The Lambda
// reads the pointer from the template's properties; the CDK constructs check the same rule at synth.
// Both read it here, so neither adapter imports the other. Pure string rules: no AWS SDK, no I/O.

import type { Failure } from "./validate";

/** Where the SendGrid API key is read from at run time (never the key itself). */
export type ApiKeySource = { kind: "secretsmanager"; secretArn: string } | { kind: "ssm"; parameterName: string };

/** The template properties that carry the pointer (exactly one of them). */
export const KEY_PROPERTIES = ["ApiKeySecretArn", "ApiKeyParameterName"] as const;

// Secrets Manager ARNs: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>.
// The full ARN, with the 6 random characters Secrets Manager appends: the function's IAM policy
// grants exactly this ARN, so a partial one would pass here and fail with AccessDenied at run time
// (template.yaml's ApiKeySecretArn pattern says the same, so it fails at deploy).
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
// SSM parameter names (optionally as an ARN): letters, digits, . - _ and / as a path separator.
const PARAMETER_NAME = /^(?:arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter)?\/?[A-Za-z0-9_.\-/]{1,2048}$/;
const DYNAMIC_REFERENCE = /\{\{resolve:/;

/** A property counts as set unless it is absent or "" (`!Ref` of an empty parameter leaves it out). */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** The two places the key may be read from: the property naming it, what its value must look like. */
const KEY_SOURCES: readonly {
  property: (typeof KEY_PROPERTIES)[number];
  pattern: RegExp;
  mustBe: string;
  source: (value: string) => ApiKeySource;
}[] = [
  {
    property: "ApiKeySecretArn",
    pattern: SECRET_ARN,
    mustBe:
      "the full ARN of a Secrets Manager secret, ending in the 6 characters Secrets Manager appends to the name, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:sendgrid-api-key-AbCdEf",
    source: (secretArn) => ({ kind: "secretsmanager", secretArn }),
  },
  {
    property: "ApiKeyParameterName",
    pattern: PARAMETER_NAME,
    mustBe: "the name of an SSM SecureString parameter, e.g. /sendgrid/api-key",
    source: (parameterName) => ({ kind: "ssm", parameterName }),
  },
];

/**
 * The key source a resource's properties name, or the one failure that stops it (none, both, a
 * dynamic reference, or a value of the wrong shape), naming the template property.
 */
export function parseKeySource(props: Readonly<Record<string, unknown>>): { keySource?: ApiKeySource; failure?: Failure } {
  const given = KEY_SOURCES.filter((k) => present(props[k.property]));
  if (given.length > 1) {
    return { failure: { property: "ApiKeySecretArn", reason: "set either ApiKeySecretArn or ApiKeyParameterName, not both" } };
  }
  const [chosen] = given;
  if (!chosen) {
    return {
      failure: {
        property: "ApiKeySecretArn",
        reason:
          "no API key source: set ApiKeySecretArn (a Secrets Manager secret holding the SendGrid API key) or ApiKeyParameterName (an SSM SecureString parameter)",
      },
    };
  }
  const { property } = chosen;
  const value = props[property];
  if (typeof value === "string" && DYNAMIC_REFERENCE.test(value))
    return { failure: { property, reason: dynamicReferenceReason(property) } };
  if (typeof value !== "string" || !chosen.pattern.test(value)) {
    return { failure: { property, reason: `${property} must be ${chosen.mustBe} (got ${describe(value)})` } };
  }
  return { keySource: chosen.source(value) };
}

// CloudFormation does not resolve {{resolve:secretsmanager:…}} or {{resolve:ssm-secure:…}} inside
// custom resource properties (cloudformation-coverage-roadmap#341): the function would receive the
// literal text. The key is fetched by the function instead.
function dynamicReferenceReason(property: string): string {
  return `${property} holds a {{resolve:…}} dynamic reference, which CloudFormation does not resolve for custom resources; pass the secret's ARN or the parameter's name itself and the function reads the key`;
}

function describe(value: unknown): string {
  if (typeof value !== "string") return typeof value;
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/** Why `value` cannot be the pointer `property` holds, or undefined (the CDK's synth-time check). */
export function keySourceProblem(property: (typeof KEY_PROPERTIES)[number], value: string): string | undefined {
  const { failure } = parseKeySource({ [property]: value });
  return failure?.reason;
}
