// ResourceProperties of Custom::SendGridScheduledBatch → the core's camelCase inputs.
//
// CloudFormation passes template Properties through unchanged except that every scalar arrives
// as a string ("300", "true"; cloudformation-coverage-roadmap#1037), so everything here accepts
// strings and the core's validateInputs does the real checking. An empty string counts as "not
// set": `!Ref` of a parameter with Default "" is the usual way templates leave an optional
// property out, and SendGrid has no meaning for an empty subuser, region or batch id.

// The core's pure modules, not its index: the CDK constructs load this file, and the jsii library
// built from them (cdk-constructs/) then compiles and ships no SendGrid client.
import { batchChanges } from "../core/model";
import { BATCH_PROPERTIES, DEFAULT_STATUS } from "../core/properties";
import type { BatchSpec, BatchStatus } from "../core/types";
import { describeFailure, validateInputs, type Failure } from "../core/validate";

export type RawProperties = Record<string, unknown>;

/** Where the SendGrid API key is read from at run time (never the key itself). */
export type ApiKeySource = { kind: "secretsmanager"; secretArn: string } | { kind: "ssm"; parameterName: string };

/** Our properties, PascalCase as they appear in templates (the core's property table), mapped to the core's input names. */
type CoreProperty = (typeof BATCH_PROPERTIES)[number]["cfnName"];
const CORE_NAMES = Object.fromEntries(BATCH_PROPERTIES.map((p) => [p.cfnName, p.name])) as Record<CoreProperty, string>;
const CORE_PROPERTIES = BATCH_PROPERTIES.map((p) => p.cfnName) as readonly CoreProperty[];
const PASCAL_OF: Record<string, string> = Object.fromEntries(BATCH_PROPERTIES.map((p) => [p.name, p.cfnName]));

const KEY_PROPERTIES = ["ApiKeySecretArn", "ApiKeyParameterName"] as const;
/** CloudFormation's own properties: present in ResourceProperties, never ours to act on. */
const CLOUDFORMATION_PROPERTIES = ["ServiceToken", "ServiceTimeout"] as const;

/** Every property name we read or tolerate (also the allow-list of what may be logged). */
export const KNOWN_PROPERTIES = [...CORE_PROPERTIES, ...KEY_PROPERTIES, ...CLOUDFORMATION_PROPERTIES] as const;

// Secrets Manager ARNs: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>.
// The full ARN, with the 6 random characters Secrets Manager appends: the function's IAM policy
// grants exactly this ARN, so a partial one would pass here and fail with AccessDenied at run time
// (template.yaml's ApiKeySecretArn pattern says the same, so it fails at deploy).
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
// SSM parameter names (optionally as an ARN): letters, digits, . - _ and / as a path separator.
const PARAMETER_NAME = /^(?:arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter)?\/?[A-Za-z0-9_.\-/]{1,2048}$/;
const DYNAMIC_REFERENCE = /\{\{resolve:/;

export interface ParsedProperties {
  spec: BatchSpec;
  keySource?: ApiKeySource;
  /** Failures, each naming the template (PascalCase) property. */
  failures: Failure[];
}

export interface ParseOptions {
  now: number;
  /** The properties the resource had before (Update): the timing rules apply to what changes. */
  previous?: RawProperties;
  /**
   * Delete: only what is needed to reach SendGrid matters. Unknown keys and the timing rules are
   * skipped, because a Delete carries the properties the batch was created with (possibly by an
   * older version of this function), and a send time that has passed must not block cleanup.
   */
  forDelete?: boolean;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** The camelCase record the core validates, with empty strings dropped. */
export function coreInputs(props: RawProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of CORE_PROPERTIES) if (present(props[p])) out[CORE_NAMES[p]] = props[p];
  return out;
}

export function parseProperties(props: RawProperties, opts: ParseOptions): ParsedProperties {
  const failures: Failure[] = [];
  if (!opts.forDelete) failures.push(...unknownPropertyFailures(props));

  const inputs = coreInputs(props);
  const previous = opts.forDelete
    ? { status: inputs.status, sendAt: inputs.sendAt } // "nothing changes": no timing rule applies
    : opts.previous && { status: coreInputs(opts.previous).status ?? DEFAULT_STATUS, sendAt: coreInputs(opts.previous).sendAt };
  const { spec, failures: coreFailures } = validateInputs(inputs, { now: opts.now, previous });
  for (const f of coreFailures) failures.push({ property: PASCAL_OF[f.property] ?? f.property, reason: f.reason });

  const { keySource, failure } = parseKeySource(props);
  if (failure) failures.push(failure);
  return { spec, keySource, failures };
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

function parseKeySource(props: RawProperties): { keySource?: ApiKeySource; failure?: Failure } {
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

const PLAIN_KEY_PROPERTY = /^(sendgrid)?api_?key$/i;

function unknownPropertyFailures(props: RawProperties): Failure[] {
  const failures: Failure[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(props)) {
    if ((KNOWN_PROPERTIES as readonly string[]).includes(key)) continue;
    // The value is never echoed: a property like this may hold the key itself.
    if (PLAIN_KEY_PROPERTY.test(key)) {
      failures.push({
        property: key,
        reason: `${key}: the API key must not be a template property (it would be visible in the template, change sets and events); store it in Secrets Manager and pass ApiKeySecretArn, or in an SSM SecureString and pass ApiKeyParameterName`,
      });
      continue;
    }
    const pascal = KNOWN_PROPERTIES.find((k) => k.toLowerCase() === key.toLowerCase());
    if (pascal) failures.push({ property: key, reason: `unknown property "${key}"; did you mean "${pascal}"?` });
    else unknown.push(key);
  }
  if (unknown.length) {
    const names = unknown.map((k) => `"${k}"`).join(", ");
    failures.push({
      property: unknown[0] as string,
      reason: `unknown ${unknown.length === 1 ? "property" : "properties"} ${names}; Custom::SendGridScheduledBatch accepts ${[...CORE_PROPERTIES, ...KEY_PROPERTIES].join(", ")}`,
    });
  }
  return failures;
}

/** The status a resource's properties ask for ("active" when unset), or undefined if invalid. */
export function declaredStatus(props: RawProperties | undefined): BatchStatus | undefined {
  const raw = props && present(props.Status) ? props.Status : "active";
  return raw === "active" || raw === "paused" || raw === "cancelled" ? raw : undefined;
}

/**
 * What an Update changes for batch `id`, by template name, from the core's resource model:
 * `replaces` means another batch (another account or an adopted id; a respelled ApiUrl is not one),
 * `updates` change in place (a new key source reaches the same batch).
 */
export function changedProperties(id: string, oldProps: RawProperties, newProps: RawProperties): { replaces: string[]; updates: string[] } {
  const { replaces, updates } = batchChanges(id, coreInputs(oldProps), coreInputs(newProps));
  const text = (v: unknown) => (present(v) ? String(v) : "");
  const keySource = KEY_PROPERTIES.filter((k) => text(oldProps[k]) !== text(newProps[k]));
  const pascal = (k: string) => PASCAL_OF[k] ?? k;
  return { replaces: replaces.map(pascal), updates: [...updates.map(pascal), ...keySource] };
}

/** One readable sentence from a list of failures. */
export function describeFailures(failures: Failure[]): string {
  return `Invalid properties: ${failures.map(describeFailure).join("; ")}`;
}
