// The SendGrid core: a typed client, the batch state machine, the resource model and input
// validation. It imports neither @pulumi/* nor aws-lambda; the adapters depend on it, never the reverse.
export { BATCH_STATUSES, REGIONS, type BatchSpec, type BatchStatus, type ConnectionSettings, type Region } from "./types";
export { SendGridError, advise, describeError, type Advice, type ErrorCode, type SendGridErrorField } from "./errors";
export { SENDGRID_HOSTS, SENDGRID_LIMITS, SENDGRID_MESSAGES, isRecord, type ScheduledSendStatus } from "./wire";
export { plan, type Step } from "./plan";
export {
  ACCOUNT_PROPERTIES,
  ADOPTED_OUTPUT,
  API_KEY_PROPERTY,
  BATCH_PROPERTIES,
  CFN_ATTRIBUTES,
  CFN_NAME,
  CFN_NAMES,
  DECLARED_OUTPUTS,
  DEFAULT_REGION,
  DEFAULT_STATUS,
  INPUT_PROPERTIES,
  PROPERTY_OF_CFN_NAME,
  RESOURCE_PROPERTIES,
  TYPE_TOKENS,
  isScheduledBatchType,
  propertySpec,
  type BatchProperty,
  type CfnName,
  type EnumSpec,
  type OnChange,
  type OutputSpec,
  type PropertySpec,
} from "./properties";
export {
  ENGINE_UNKNOWN,
  apiKeyProblem,
  describeFailure,
  isBatchId,
  parseSendAt,
  validateInputs,
  type ApiKeyProblem,
  type Failure,
} from "./validate";
export { nowSeconds } from "./clock";
export { REDACTED, redactError, redactSecrets, secretParts } from "./redact";
export { accountInWords, accountKey, apiOrigin, apiUrlProblem, canonicalOrigin, isLoopbackHost, type AccountSettings } from "./account";
export { batchChanges, normaliseInputs, type BatchChanges } from "./model";
export { backoffMs, quotaWaitFromEnv, retry, type RetryOptions, type RetryPolicy, type Sleep } from "./retry";
export { MAX_QUOTA_WAIT_SECONDS, QUOTA_WAIT_ENV, describeQuotaWait, quotaWaitProblem, type QuotaWaitInfo } from "./retry";
export { SendGridBatchClient, clientFor, type AttemptInfo, type ClientHints, type ClientOptions } from "./client";
export {
  PartialFailureError,
  adoptBatch,
  applyStatus,
  cancelBatch,
  createBatch,
  readBatch,
  requireBatch,
  unknownBatch,
  type CancelOptions,
  type CancelOutcome,
} from "./batches";
export {
  DEFAULT_JOURNAL_PATH,
  JOURNAL_ENV,
  Journal,
  JournalKey,
  RELEASED_ENV,
  UNNAMED_HOLDER,
  handedMarker,
  journalFromEnv,
  mayBeRunning,
  releasedIds,
  type HandedVia,
  type JournalEntry,
  type JournalOptions,
  type JournalWriter,
  type MintedBatch,
  type NotProof,
} from "./journal";
export {
  MustRecordError,
  converge,
  convergeIfKnown,
  handOver,
  provision,
  refresh,
  retire,
  retireOrPass,
  type LifecycleHooks,
  type Provenance,
  type Provisioned,
  type RecordedBatch,
  type Refreshed,
} from "./lifecycle";
