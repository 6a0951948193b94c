// SendGrid's wire format for the Cancel Scheduled Sends API and the Mail Batch endpoints: shapes,
// exact error strings, limits and hosts. The emulator shares this one file with the core (and
// nothing else), so both sides agree on what SendGrid's OpenAPI description documents.

import type { BatchStatus } from "./types";

/** The status a batch carries in `/v3/user/scheduled_sends` (SendGrid schema `Status`). */
export type WireStatus = "pause" | "cancel";

/** This project's name for a held batch's status, as SendGrid spells it. */
export function toWire(status: Exclude<BatchStatus, "active">): WireStatus {
  return status === "paused" ? "pause" : "cancel";
}

/** SendGrid's status as this project names it. */
export function fromWire(status: WireStatus): BatchStatus {
  return status === "pause" ? "paused" : "cancelled";
}

/** `ScheduledSendStatus`: one entry of the scheduled-sends list or of a single read. */
export interface ScheduledSendStatus {
  batch_id: string;
  status: WireStatus;
}

/** `MailBatchResponse`: the body of `POST /v3/mail/batch` (201) and `GET /v3/mail/batch/{id}` (200). */
export interface MailBatchResponse {
  batch_id: string;
}

/** One entry of SendGrid's `ErrorResponse.errors`. `field` is JSON null when no field is at fault. */
export interface SendGridErrorItem {
  message: string;
  field?: string | null;
  help?: unknown;
}

/** SendGrid's `ErrorResponse`. */
export interface ErrorResponse {
  errors: SendGridErrorItem[];
  id?: string;
}

/** The exact error strings SendGrid returns (2015–2018 API blueprint, still seen in field reports). */
export const SENDGRID_MESSAGES = {
  invalidBatchId: "invalid batch id",
  batchIdNotFound: "batch id not found",
  statusExists: "a status for this batch id exists, try PATCH to update the status",
  maxLimitReached: "max limit reached",
  authorizationRequired: "authorization required",
  invalidGrant: "The provided authorization grant is invalid, expired, or revoked",
  accessForbidden: "access forbidden",
  methodNotAllowed: "method not allowed",
  tooManyRequests: "too many requests",
  internalServerError: "internal server error",
  sendAtTooFar: "Scheduling more than 72 hours in advance is forbidden.",
  sendAtNotInteger:
    "The send_at parameter is expecting a UNIX timestamp as an integer. We will send immediately if you include a send_at timestamp that is in the past.",
  batchIdMustBeString: "The batch_id must be a string.",
} as const;

/** SendGrid's documented limits for scheduled sends. */
export const SENDGRID_LIMITS = {
  /** At most 10 batches may be paused or cancelled at once ("max limit reached" beyond). */
  maxPausedOrCancelled: 10,
  /** No pause or cancel later than 10 minutes before `send_at`. */
  cutoffSeconds: 10 * 60,
  /** A paused batch is discarded 72 hours after `send_at`; `send_at` may be at most 72 h ahead. */
  pauseExpirySeconds: 72 * 3600,
  maxScheduleAheadSeconds: 72 * 3600,
} as const;

/** SendGrid's API hosts. */
export const SENDGRID_HOSTS = {
  global: "https://api.sendgrid.com",
  eu: "https://api.eu.sendgrid.com",
} as const;

/** A JSON object (not null, not an array): what SendGrid bodies and CloudFormation events are. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
