// The plugin's provider configuration: which SendGrid account a provider instance talks to.
// Validation reuses the core's rules (region, onBehalfOf, apiUrl as an origin, the key's shape);
// "which change is another account" is the core's accountKey. Pure: no I/O.

import {
  ACCOUNT_PROPERTIES,
  ENGINE_UNKNOWN,
  accountKey,
  apiKeyProblem,
  canonicalOrigin,
  nowSeconds,
  validateInputs,
  type ClientHints,
  type ConnectionSettings,
  type Failure,
  type Region,
} from "../core";
import { clientHints, keyMessage, requireApiKey } from "../pulumi/lifecycle";
import { CONFIG_KEYS, PACKAGE, type ConfigKey } from "./names";

type Props = Record<string, unknown>;

/** The engine's marker for a secret value (`{ [SECRET_SIG_KEY]: SECRET_SIG, value }`). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value with the engine's secret wrapper removed. */
export function plain(value: unknown): unknown {
  if (typeof value === "object" && value !== null && (value as Props)[SECRET_SIG_KEY] === SECRET_SIG) return (value as Props).value;
  return value;
}

/** `value` in the engine's secret wrapper (once). */
export function secret(value: unknown): Props {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value: plain(value) };
}

/** Config from Configure's variables, spelled `sendgrid-batch:config:<key>` (or `sendgrid-batch:<key>`). */
export function configFromVariables(variables: ReadonlyMap<string, string>): Props {
  const out: Props = {};
  for (const [name, value] of variables) {
    const key = name.replace(`${PACKAGE}:config:`, "").replace(`${PACKAGE}:`, "");
    if ((CONFIG_KEYS as readonly string[]).includes(key)) out[key] = value;
  }
  return out;
}

// Where this adapter's key and settings come from, said once: the core's errors carry a code and
// facts, and these words for the codes that need them (the account is the provider's configuration).
const SET_KEY = `\`pulumi config set --secret ${PACKAGE}:apiKey <key>\` (or the provider's apiKey) or the SENDGRID_API_KEY environment variable`;
/** The hints the plugin's SendGrid client gives its errors. */
export const PLUGIN_HINTS: ClientHints = clientHints(
  SET_KEY,
  `Check the provider's apiUrl/region (\`${PACKAGE}:apiUrl\`, \`${PACKAGE}:region\`) and the network; the next \`pulumi up\` tries again`,
);

/**
 * CheckConfig: every problem with a provider's configuration, found at preview with no request.
 * `env` supplies SENDGRID_API_KEY when the config has no key. The key comes back as a secret, as
 * for any `secret: true` config variable: set without `--secret` (or as a plain property of an
 * explicit provider), it would otherwise be stored in state in plaintext.
 */
export function checkConfig(news: Props, env: NodeJS.ProcessEnv): { inputs: Props; failures: Failure[] } {
  const failures: Failure[] = [];
  const values: Props = {};
  for (const [key, raw] of Object.entries(news)) {
    if (key === "version" || key.startsWith("__")) continue; // set by the engine
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      failures.push({
        property: key,
        reason: `unknown configuration key "${PACKAGE}:${key}"; the provider accepts ${CONFIG_KEYS.join(", ")}`,
      });
      continue;
    }
    values[key] = plain(raw);
  }
  const { apiKey, ...account } = values;
  const checked = validateInputs(account, { now: nowSeconds(), isUnknown: (v) => v === ENGINE_UNKNOWN });
  failures.push(...checked.failures);
  if (apiKey !== ENGINE_UNKNOWN) {
    const key = apiKey === undefined || apiKey === null ? env.SENDGRID_API_KEY : typeof apiKey === "string" ? apiKey : "";
    const problem = apiKeyProblem(key);
    if (problem) failures.push({ property: "apiKey", reason: keyMessage(SET_KEY)(problem) });
  }
  const inputs = typeof apiKey === "string" && apiKey !== ENGINE_UNKNOWN ? { ...news, apiKey: secret(news.apiKey) } : news;
  return { inputs, failures };
}

export interface ConfigDiff {
  /** Keys whose change means another account: every resource of this provider is replaced. */
  replaces: ConfigKey[];
  /** Keys that change in place (the API key: rotation is not another account). */
  updates: ConfigKey[];
}

/** DiffConfig: a change of account (host or subuser, as the core's accountKey sees it) replaces. */
export function diffConfig(olds: Props, news: Props): ConfigDiff {
  const o: Props = {};
  const n: Props = {};
  for (const k of CONFIG_KEYS) {
    if (olds[k] !== undefined && olds[k] !== null) o[k] = plain(olds[k]);
    if (news[k] !== undefined && news[k] !== null) n[k] = plain(news[k]);
  }
  const changed = CONFIG_KEYS.filter((k) => JSON.stringify(o[k]) !== JSON.stringify(n[k]));
  const accountKeys: readonly ConfigKey[] = ACCOUNT_PROPERTIES;
  const unknownAccount = accountKeys.some((k) => n[k] === ENGINE_UNKNOWN);
  const anotherAccount = unknownAccount || accountKey(o) !== accountKey(n);
  const replaces = anotherAccount ? changed.filter((k) => accountKeys.includes(k)) : [];
  return { replaces, updates: changed.filter((k) => !replaces.includes(k)) };
}

/** The connection settings of a configured provider; the key from config, else SENDGRID_API_KEY. */
export function connectionSettings(config: Props, env: NodeJS.ProcessEnv): ConnectionSettings {
  const configured = plain(config.apiKey);
  const apiKey = requireApiKey(typeof configured === "string" && configured !== "" ? configured : env.SENDGRID_API_KEY, SET_KEY);
  const str = (k: ConfigKey): string | undefined => {
    const v = plain(config[k]);
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const apiUrl = str("apiUrl");
  return {
    apiKey,
    region: str("region") as Region | undefined,
    onBehalfOf: str("onBehalfOf"),
    // The client appends /v3/…: give it the canonical origin ("…:3030/", "…:3030" and a host with its
    // trailing dot are the same account).
    apiUrl: apiUrl === undefined ? undefined : canonicalOrigin(apiUrl),
  };
}
