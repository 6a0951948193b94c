// The closed sets of values of a ScheduledBatch, as enums: what jsii turns into Python, Java, .NET
// and Go enums (a string union would reach those languages as a bare string). Each member's value is
// the core's own spelling (core/types.ts), so the template carries what the handler reads;
// test/cdk-constructs.test.ts checks the two lists are the same.

/** The lifecycle state of a scheduled-send batch. */
export enum BatchStatus {
  /** The batch's mail goes out at its send time. */
  ACTIVE = "active",
  /** The batch's mail is held until the batch is resumed. */
  PAUSED = "paused",
  /** The batch's mail is discarded at its send time. */
  CANCELLED = "cancelled",
}

/** SendGrid's data-residency regions. */
export enum Region {
  /** api.sendgrid.com (the default). */
  GLOBAL = "global",
  /** api.eu.sendgrid.com. */
  EU = "eu",
}
