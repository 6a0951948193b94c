// The account rules of the policy pack, as plain functions over what the policy API shows of a
// resource (type, name, URN, inputs, protect flag, provider). Kept free of @pulumi/policy so the
// counting can be read (and reasoned about) without the engine.

import { createHash } from "node:crypto";
import { accountKey, apiOrigin } from "../core/account";
import { TYPE_TOKENS, isScheduledBatchType } from "../core/properties";
import { ENGINE_UNKNOWN } from "../core/validate";
import { SENDGRID_LIMITS } from "../core/wire";

/** The dynamic resource (provider/scheduledBatch.ts); the plugin's resource takes its account from its provider's config. */
export const { dynamic: DYNAMIC_TYPE, plugin: PLUGIN_TYPE } = TYPE_TOKENS;

export const isScheduledBatch = isScheduledBatchType;

/** What a rule needs to know of one resource. */
export interface BatchView {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  protect: boolean;
  /** The URN of the resource's provider, when the engine reports one. */
  providerUrn?: string;
  /**
   * The provider's account config (apiKey, region, onBehalfOf, apiUrl) as the engine reports it;
   * absent when the engine reports no provider or a value is not known yet (preview).
   */
  providerConfig?: Record<string, unknown>;
}

/** `paused` or `cancelled`: SendGrid holds a status entry for the batch, which counts against the limit. */
export function holdsStatus(props: Record<string, unknown>): boolean {
  return props.status === "paused" || props.status === "cancelled";
}

export interface Account {
  key: string;
  /** For messages: "https://api.sendgrid.com", "https://api.sendgrid.com on behalf of team-a", "provider …". */
  label: string;
}

/** The engine's placeholder for a value not known during preview (a string in analyzer requests). */

/**
 * The SendGrid account a batch acts on. The dynamic resource names it in its own inputs (region,
 * onBehalfOf, apiUrl); core/account.ts accountKey makes respellings of one account (a trailing
 * slash, an explicit default host) one key. A plugin resource gets its account from its provider's
 * config, through the same accountKey, plus the API key (see pluginAccount).
 */
export function accountOf(batch: BatchView): Account {
  if (batch.type === PLUGIN_TYPE) return pluginAccount(batch);
  const subuser = typeof batch.props.onBehalfOf === "string" ? ` on behalf of ${batch.props.onBehalfOf}` : "";
  return { key: `inputs|${accountKey(batch.props)}`, label: `${apiOrigin(batch.props)}${subuser}` };
}

/**
 * A plugin batch's account: its provider's host + subuser (accountKey of the provider's config) AND
 * the API key the provider uses. Host + subuser alone cannot tell two SendGrid accounts apart (every
 * account lives on api.sendgrid.com), and SendGrid counts the limit per account, which the key
 * selects. So two providers count together when they have the same host, subuser and key (or both
 * take the key from SENDGRID_API_KEY, which is one value for the run), and apart when their keys
 * differ. The pack cannot tell two keys of one account from two accounts: counting them apart can
 * miss a breach (then `up` meets SendGrid's own "max limit reached", with nothing sent or lost),
 * while counting them together would make a mandatory rule fail a stack that is fine (two teams'
 * accounts in one stack) with no fix but disabling the pack. The key is
 * compared as a SHA-256 digest and never reaches a message. When the engine does not know a
 * provider's config yet (a computed apiUrl or key at preview), that provider counts on its own.
 */
function pluginAccount(batch: BatchView): Account {
  const urn = batch.providerUrn ?? "default provider";
  const providerName = urn.split("::").pop() ?? urn;
  const config = batch.providerConfig;
  if (config === undefined || Object.values(config).some((v) => v === ENGINE_UNKNOWN)) {
    return { key: `provider|${urn}`, label: `provider ${providerName}` };
  }
  const apiKey = typeof config.apiKey === "string" && config.apiKey !== "" ? config.apiKey : undefined;
  const credential = apiKey === undefined ? "env" : `sha256:${createHash("sha256").update(apiKey).digest("hex")}`;
  const subuser = typeof config.onBehalfOf === "string" ? ` on behalf of ${config.onBehalfOf}` : "";
  return { key: `plugin|${accountKey(config)}|${credential}`, label: `${apiOrigin(config)}${subuser}` };
}

export interface QuotaViolation {
  account: Account;
  /** Resource names of every paused or cancelled batch of the account, in natural order (b2 before b10). */
  names: string[];
}

/** Accounts with more paused or cancelled batches than SendGrid allows at once. */
export function quotaViolations(batches: readonly BatchView[]): QuotaViolation[] {
  const byAccount = new Map<string, QuotaViolation>();
  for (const b of batches) {
    if (!isScheduledBatch(b.type) || !holdsStatus(b.props)) continue;
    const account = accountOf(b);
    const entry = byAccount.get(account.key) ?? { account, names: [] };
    entry.names.push(b.name);
    byAccount.set(account.key, entry);
  }
  return [...byAccount.values()]
    .filter((v) => v.names.length > SENDGRID_LIMITS.maxPausedOrCancelled)
    .map((v) => ({ ...v, names: [...v.names].sort((a, b) => a.localeCompare(b, "en", { numeric: true })) }));
}

export function quotaMessage(v: QuotaViolation): string {
  return (
    `${v.names.length} ScheduledBatch resources are paused or cancelled for one SendGrid account (${v.account.label}): ` +
    `${v.names.join(", ")}. SendGrid allows at most ${SENDGRID_LIMITS.maxPausedOrCancelled} at once and answers the ` +
    `next one with "max limit reached". Resume or remove some, or move them to another subuser.`
  );
}

export const MISSING_SEND_AT_MESSAGE =
  "this batch is paused or cancelled but has no sendAt, so preview cannot check SendGrid's timing rules " +
  "(no pause or cancel within 10 minutes of send_at; a paused batch is discarded 72 hours after it). " +
  "Set sendAt to the send_at of the batch's mail.";

export const UNPROTECTED_MESSAGE =
  "this batch is not protected: a destroy (or a refactor that drops it) cancels its batch, and SendGrid " +
  "discards the batch's scheduled mail at its send time. Set `protect: true` in the resource options.";
