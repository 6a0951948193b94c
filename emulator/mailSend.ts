// POST /v3/mail/send, reduced to what scheduling needs: batch_id, send_at (top level, overridden per
// personalization), and one queued message per personalization. Like SendGrid, every problem found
// is reported at once in `errors`.

import { SENDGRID_LIMITS, SENDGRID_MESSAGES, type SendGridErrorItem } from "../core/wire";
import { empty, isRecord, json, sendgridError, type Reply } from "./http";
import { EMULATOR_MESSAGES } from "./messages";
import type { NewMessage } from "./state";
import type { OperationContext } from "./scheduledSends";

function checkSendAt(value: unknown, field: string, now: number, errors: SendGridErrorItem[]): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    errors.push({ field, message: SENDGRID_MESSAGES.sendAtNotInteger });
  } else if (value > now + SENDGRID_LIMITS.maxScheduleAheadSeconds) {
    // Also catches milliseconds (Date.now()), which land far beyond 72 h.
    errors.push({ field, message: SENDGRID_MESSAGES.sendAtTooFar });
  }
}

function emails(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((r) => (isRecord(r) && typeof r.email === "string" ? [r.email] : []));
}

/**
 * Mail Send takes no `on-behalf-of` (SendGrid: not supported there), so messages always belong to
 * the key's own account; mail for a subuser's batch is seeded through POST /__emulator/messages.
 */
export function sendMail({ scope, body, state }: OperationContext): Reply {
  if (body.kind !== "json" || !isRecord(body.value)) return sendgridError(400, EMULATOR_MESSAGES.invalidJson);
  const mail = body.value;
  const account = { account: scope.account, onBehalfOf: null };
  const now = state.clock.now();
  const errors: SendGridErrorItem[] = [];

  const batchId = mail.batch_id;
  if (batchId !== undefined) {
    if (typeof batchId !== "string") errors.push({ field: "batch_id", message: SENDGRID_MESSAGES.batchIdMustBeString });
    else if (!state.hasBatch(account, batchId)) errors.push({ field: "batch_id", message: EMULATOR_MESSAGES.mailSendUnknownBatch });
  }
  checkSendAt(mail.send_at, "send_at", now, errors);

  const personalizations = Array.isArray(mail.personalizations) ? mail.personalizations : [];
  if (personalizations.length === 0 || !personalizations.every(isRecord)) {
    errors.push({ field: "personalizations", message: EMULATOR_MESSAGES.personalizationsRequired });
  }
  for (const p of personalizations) if (isRecord(p)) checkSendAt(p.send_at, "personalizations.send_at", now, errors);
  if (!isRecord(mail.from) || typeof mail.from.email !== "string") errors.push({ field: "from", message: EMULATOR_MESSAGES.fromRequired });

  if (errors.length) return json(400, { errors });

  for (const p of personalizations as Array<Record<string, unknown>>) {
    const sendAt = (p.send_at ?? mail.send_at ?? now) as number;
    const message: NewMessage = {
      batchId: typeof batchId === "string" ? batchId : null,
      sendAt,
      to: emails(p.to),
      subject: typeof p.subject === "string" ? p.subject : typeof mail.subject === "string" ? mail.subject : null,
    };
    state.addMessage(account, message);
  }
  return empty(202);
}
