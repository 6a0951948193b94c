// The SendGrid API key, read at run time from Secrets Manager or an SSM SecureString.
//
// It cannot come from the template: CloudFormation does not resolve {{resolve:secretsmanager:…}}
// for custom resources (cloudformation-coverage-roadmap#341), and a plain or NoEcho property ends up
// in every event. The AWS SDK v3 is the one the Lambda Node.js runtime ships; the bundle leaves
// `@aws-sdk/*` external and loads it lazily, so a cold start that never needs it (Delete of a
// marker id, a no-op Update) does not pay for it, and a missing SDK is an answered FAILED, not a
// module-init crash that leaves CloudFormation waiting.
//
// Keys are cached per warm container for a few minutes, keyed by ARN/name; a rotated secret is
// picked up once the entry expires.

import { apiKeyProblem } from "../core";
import { sdkClient } from "./awsClients";
import type { ApiKeySource } from "../core/keySource";

const CACHE_TTL_MS = 5 * 60_000;
const cache = new Map<string, { value: string; expiresAt: number }>();

/** A failure to obtain the key, with a reason a person can act on (never containing the key). */
export class ApiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiKeyError";
  }
}

export interface FetchOptions {
  /** Aborts the AWS call when the function's own deadline comes. */
  signal?: AbortSignal;
  now?: () => number;
}

function cacheKey(source: ApiKeySource): string {
  return source.kind === "secretsmanager" ? `sm ${source.secretArn}` : `ssm ${source.parameterName}`;
}

function describeSource(source: ApiKeySource): string {
  return source.kind === "secretsmanager" ? `secret ${source.secretArn}` : `SSM parameter ${source.parameterName}`;
}

export async function fetchApiKey(source: ApiKeySource, opts: FetchOptions = {}): Promise<string> {
  const now = opts.now ?? Date.now;
  const key = cacheKey(source);
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now()) return hit.value;

  let raw: string | undefined;
  try {
    raw =
      source.kind === "secretsmanager"
        ? await fromSecretsManager(source.secretArn, opts.signal)
        : await fromSsm(source.parameterName, opts.signal);
  } catch (err) {
    throw new ApiKeyError(explainAwsError(err, source));
  }
  const value = extractKey(raw);
  const problem = value === undefined ? "it holds no text (binary secrets are not supported)" : keyProblem(value);
  if (problem !== undefined || value === undefined)
    throw new ApiKeyError(`The ${describeSource(source)} cannot be used as a SendGrid API key: ${problem}`);
  cache.set(key, { value, expiresAt: now() + CACHE_TTL_MS });
  return value;
}

/** Forget cached keys (tests; a key SendGrid rejected should be re-read). */
export function clearApiKeyCache(source?: ApiKeySource): void {
  if (source) cache.delete(cacheKey(source));
  else cache.clear();
}

/**
 * The secret is either the bare key (`SG.…`) or a JSON object holding it under `apiKey`,
 * `api_key` or `SENDGRID_API_KEY` (the console's key/value editor stores JSON).
 */
function extractKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed.startsWith("{")) {
    try {
      const obj: unknown = JSON.parse(trimmed);
      if (obj && typeof obj === "object") {
        for (const name of ["apiKey", "api_key", "SENDGRID_API_KEY"]) {
          const v: unknown = (obj as Record<string, unknown>)[name];
          if (typeof v === "string") return v;
        }
        return "";
      }
    } catch {
      // not JSON: treat as the key itself (apiKeyProblem rejects the braces' whitespace, if any)
    }
  }
  return raw;
}

/** The core's check; the message names the secret or parameter, and where a JSON secret keeps the key. */
function keyProblem(value: string): string | undefined {
  const problem = apiKeyProblem(value);
  if (problem === undefined) return undefined;
  return problem.code === "BLANK_API_KEY" ? `${problem.reason} (for a JSON secret, put the key under "apiKey")` : problem.reason;
}

// A `require` inside the function, not `import()`: esbuild keeps a dynamic import as a real ESM
// import, whose resolution ignores NODE_PATH — and NODE_PATH is how the Lambda runtime exposes
// its SDK (/var/runtime/node_modules). Inside the function it still loads lazily.
async function fromSecretsManager(secretArn: string, signal?: AbortSignal): Promise<string | undefined> {
  const sm = require("@aws-sdk/client-secrets-manager") as typeof import("@aws-sdk/client-secrets-manager");
  const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
  const client = sdkClient(
    `sm ${region ?? ""}`,
    () => new sm.SecretsManagerClient(region ? { region, maxAttempts: 2 } : { maxAttempts: 2 }),
  );
  const out = await client.send(new sm.GetSecretValueCommand({ SecretId: secretArn }), { abortSignal: signal });
  return out.SecretString;
}

async function fromSsm(parameterName: string, signal?: AbortSignal): Promise<string | undefined> {
  const ssm = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
  const region = /^arn:[^:]+:ssm:([^:]+):/.exec(parameterName)?.[1];
  const client = sdkClient(`ssm ${region ?? ""}`, () => new ssm.SSMClient(region ? { region, maxAttempts: 2 } : { maxAttempts: 2 }));
  const out = await client.send(new ssm.GetParameterCommand({ Name: parameterName, WithDecryption: true }), { abortSignal: signal });
  return out.Parameter?.Value;
}

/** Map the SDK's error names to what the operator should do. AWS messages never carry the value. */
function explainAwsError(err: unknown, source: ApiKeySource): string {
  const name = err instanceof Error ? err.name : "Error";
  const message = err instanceof Error ? err.message : String(err);
  const what = describeSource(source);
  const action = source.kind === "secretsmanager" ? "secretsmanager:GetSecretValue" : "ssm:GetParameter (and kms:Decrypt on its key)";
  switch (name) {
    case "ResourceNotFoundException":
      return `Secrets Manager has no ${what} (ResourceNotFoundException): create it with the SendGrid API key as its value, or fix ApiKeySecretArn`;
    case "ParameterNotFound":
      return `SSM has no ${what} (ParameterNotFound): create it as a SecureString holding the SendGrid API key, or fix ApiKeyParameterName`;
    case "AccessDeniedException":
    case "AccessDenied":
      return `The function's role may not read the ${what} (${name}): grant ${action} on exactly that resource`;
    case "DecryptionFailure":
    case "KMSAccessDeniedException":
    case "InvalidKeyId":
      return `The ${what} could not be decrypted (${name}): grant the function's role kms:Decrypt on the secret's KMS key`;
    case "InvalidRequestException":
      return `Secrets Manager refused to read the ${what} (${name}: ${message}); it may be scheduled for deletion — restore it`;
    case "AbortError":
      return `Reading the ${what} did not finish before the function's deadline`;
    default:
      return `Could not read the ${what}: ${name}: ${message}`;
  }
}
