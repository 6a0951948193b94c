// ResourceProperties of Custom::SendGridScheduledBatch → the core's camelCase inputs.
//
// CloudFormation passes template Properties through unchanged except that every scalar arrives
// as a string ("300", "true"; cloudformation-coverage-roadmap#1037), so everything here accepts
// strings and the core's validateInputs does the real checking. An empty string counts as "not
// set": `!Ref` of a parameter with Default "" is the usual way templates leave an optional
// property out, and SendGrid has no meaning for an empty subuser, region or batch id.

// The core's pure modules, not its index: the CDK constructs load this file, and the jsii library
// built from them (cdk-constructs/) then compiles and ships no SendGrid client.
import { KEY_PROPERTIES, parseKeySource, type ApiKeySource } from "../core/keySource";
import { batchChanges } from "../core/model";
import { CFN_NAME, CFN_NAMES, DEFAULT_STATUS, PROPERTY_OF_CFN_NAME, type BatchProperty } from "../core/properties";
import { BATCH_STATUSES, type BatchSpec, type BatchStatus } from "../core/types";
import { describeFailure, validateInputs, type Failure, type ValidateOptions } from "../core/validate";

export type RawProperties = Record<string, unknown>;

/** A property's name in templates (the core's property table), or the name itself when not ours. */
const pascal = (name: string): string => CFN_NAME[name as BatchProperty] ?? name;

/** CloudFormation's own properties: present in ResourceProperties, never ours to act on. */
const CLOUDFORMATION_PROPERTIES = ["ServiceToken", "ServiceTimeout"] as const;

/** Every property name we read or tolerate (also the allow-list of what may be logged). */
export const KNOWN_PROPERTIES = [...CFN_NAMES, ...KEY_PROPERTIES, ...CLOUDFORMATION_PROPERTIES] as const;

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
  for (const p of CFN_NAMES) if (present(props[p])) out[PROPERTY_OF_CFN_NAME[p]] = props[p];
  return out;
}

export function parseProperties(props: RawProperties, opts: ParseOptions): ParsedProperties {
  const inputs = coreInputs(props);
  if (opts.forDelete) return parseInputs(props, inputs, { status: inputs.status, sendAt: inputs.sendAt }, opts); // "nothing changes": no timing rule applies
  return parseInputs(props, inputs, opts.previous && previousOf(coreInputs(opts.previous)), opts);
}

/** An Update's properties, parsed once: what the handler needs of both property maps. */
export interface ParsedUpdate extends ParsedProperties {
  /** What the Update changes, by template name (see changedProperties). */
  changed: { replaces: string[]; updates: string[] };
  /** The status the old properties declared ("active" when unset), or undefined if invalid. */
  previousStatus?: BatchStatus;
}

/** Parse an Update of batch `id`: each property map is read into the core's inputs once. */
export function parseUpdate(id: string, props: RawProperties, oldProps: RawProperties, opts: { now: number }): ParsedUpdate {
  const inputs = coreInputs(props);
  const oldInputs = coreInputs(oldProps);
  return {
    ...parseInputs(props, inputs, previousOf(oldInputs), opts),
    changed: changesOf(id, { props: oldProps, inputs: oldInputs }, { props, inputs }),
    previousStatus: statusOf(oldInputs),
  };
}

/** The previous status and send time the timing rules compare with. */
function previousOf(oldInputs: Record<string, unknown>): { status: unknown; sendAt: unknown } {
  return { status: oldInputs.status ?? DEFAULT_STATUS, sendAt: oldInputs.sendAt };
}

function parseInputs(
  props: RawProperties,
  inputs: Record<string, unknown>,
  previous: ValidateOptions["previous"],
  opts: ParseOptions,
): ParsedProperties {
  const failures: Failure[] = opts.forDelete ? [] : unknownPropertyFailures(props);
  const { spec, failures: coreFailures } = validateInputs(inputs, { now: opts.now, previous });
  for (const f of coreFailures) failures.push({ property: pascal(f.property), reason: f.reason });

  const { keySource, failure } = parseKeySource(props);
  if (failure) failures.push(failure);
  return { spec, keySource, failures };
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
      reason: `unknown ${unknown.length === 1 ? "property" : "properties"} ${names}; Custom::SendGridScheduledBatch accepts ${[...CFN_NAMES, ...KEY_PROPERTIES].join(", ")}`,
    });
  }
  return failures;
}

/** The status a resource's properties ask for (the default when unset), or undefined if invalid. */
export function declaredStatus(props: RawProperties | undefined): BatchStatus | undefined {
  return statusOf(coreInputs(props ?? {}));
}

function statusOf(inputs: Record<string, unknown>): BatchStatus | undefined {
  const raw = inputs.status ?? DEFAULT_STATUS;
  return (BATCH_STATUSES as readonly unknown[]).includes(raw) ? (raw as BatchStatus) : undefined;
}

/**
 * What an Update changes for batch `id`, by template name, from the core's resource model:
 * `replaces` means another batch (another account or an adopted id; a respelled ApiUrl is not one),
 * `updates` change in place (a new key source reaches the same batch).
 */
export function changedProperties(id: string, oldProps: RawProperties, newProps: RawProperties): { replaces: string[]; updates: string[] } {
  return changesOf(id, { props: oldProps, inputs: coreInputs(oldProps) }, { props: newProps, inputs: coreInputs(newProps) });
}

type PropertyMap = { props: RawProperties; inputs: Record<string, unknown> };

function changesOf(id: string, olds: PropertyMap, news: PropertyMap): { replaces: string[]; updates: string[] } {
  const { replaces, updates } = batchChanges(id, olds.inputs, news.inputs);
  const text = (v: unknown) => (present(v) ? String(v) : "");
  const keySource = KEY_PROPERTIES.filter((k) => text(olds.props[k]) !== text(news.props[k]));
  return { replaces: replaces.map(pascal), updates: [...updates.map(pascal), ...keySource] };
}

/** One readable sentence from a list of failures. */
export function describeFailures(failures: Failure[]): string {
  return `Invalid properties: ${failures.map(describeFailure).join("; ")}`;
}
