// Error strings the emulator uses where SendGrid documents none. SendGrid's own strings live in
// core/wire.ts (SENDGRID_MESSAGES); everything here is the emulator's choice.

export const EMULATOR_MESSAGES = {
  /** Unknown /v3 route (SendGrid's Mail Send spec example for 404). */
  notFound: "not found",
  /** Body that is not JSON, or not a JSON object. */
  invalidJson: "request body must be a valid JSON object",
  batchIdRequired: "batch_id is required",
  batchIdNotString: "batch_id must be a string",
  statusRequired: "status is required",
  statusInvalid: "status must be one of: pause, cancel",
  /**
   * SendGrid: "you cannot pause or cancel later than 10 minutes before send_at", no error string
   * documented. The text is the emulator's invention: no client logic may match it. A recording of
   * SendGrid's real answer replaces it (EmulatorConfig.undocumented.lateChange).
   */
  tooLate: "cannot pause or cancel a batch less than 10 minutes before its earliest scheduled send_at",
  /** Mail Send with a batch_id this account never created (sendgrid/docs #5053: a 400, text undocumented). */
  mailSendUnknownBatch: "invalid batch id",
  personalizationsRequired: "The personalizations field is required and must have at least one personalization.",
  fromRequired:
    "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
  serviceUnavailable: "service unavailable",
  contentTooLarge: "content too large",
} as const;
