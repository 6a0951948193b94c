import { randomBytes } from "node:crypto";

/** A 32-character URL-safe batch id, the shape of SendGrid's current examples (`HkJ5yLYULb7Rj8GKSx7u025ouWVlMgAi`). */
export function newBatchId(): string {
  // 24 random bytes are exactly 32 base64url characters; SendGrid's pattern wants an alphanumeric first.
  for (;;) {
    const id = randomBytes(24).toString("base64url");
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}
