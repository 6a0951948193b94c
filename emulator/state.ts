// The emulator's SendGrid data: batches (scoped to an account or one of its subusers), their
// pause/cancel statuses, and queued messages with their fates as the clock moves.

import { SENDGRID_LIMITS, type WireStatus } from "../core/wire";
import type { Clock } from "./clock";
import { newBatchId } from "./ids";
import type { BatchState, BatchView, MessageFate, MessageView } from "./types";

/** Who a call acts as: the key's parent account, or one of its subusers via `on-behalf-of`. */
export interface Scope {
  account: string;
  onBehalfOf: string | null;
}

interface Batch {
  id: string;
  scope: Scope;
  createdAt: number;
  status: WireStatus | null;
  statusChangedAt: number;
  /** Order in which statuses were set, for a stable list. */
  statusSeq: number;
}

interface Message {
  id: string;
  scope: Scope;
  batchId: string | null;
  sendAt: number;
  createdAt: number;
  fate: MessageFate;
  fateAt: number | null;
  to: string[];
  subject: string | null;
}

export interface NewMessage {
  batchId: string | null;
  sendAt: number;
  to: string[];
  subject: string | null;
}

export function sameScope(a: Scope, b: Scope): boolean {
  return a.account === b.account && a.onBehalfOf === b.onBehalfOf;
}

export function toBatchState(status: WireStatus | null): BatchState {
  return status === "pause" ? "paused" : status === "cancel" ? "cancelled" : "active";
}

export class EmulatorState {
  private batches = new Map<string, Batch>();
  private messages: Message[] = [];
  private statusSeq = 0;
  private messageSeq = 0;

  constructor(readonly clock: Clock) {}

  reset(): void {
    this.batches.clear();
    this.messages = [];
    this.statusSeq = 0;
    this.messageSeq = 0;
    this.clock.reset();
  }

  createBatch(scope: Scope): string {
    let id = newBatchId();
    while (this.batches.has(id)) id = newBatchId();
    const now = this.clock.now();
    this.batches.set(id, { id, scope, createdAt: now, status: null, statusChangedAt: now, statusSeq: 0 });
    return id;
  }

  /** Batch ids are only valid for the scope that created them (SendGrid: "for the authenticating account"). */
  hasBatch(scope: Scope, id: string): boolean {
    const b = this.batches.get(id);
    return b !== undefined && sameScope(b.scope, scope);
  }

  getStatus(scope: Scope, id: string): WireStatus | null {
    const b = this.batches.get(id);
    return b && sameScope(b.scope, scope) ? b.status : null;
  }

  /** Paused and cancelled batches of a scope, in the order their status was set. */
  listStatuses(scope: Scope): Array<{ batch_id: string; status: WireStatus }> {
    this.settle();
    return [...this.batches.values()]
      .filter((b) => b.status !== null && sameScope(b.scope, scope))
      .sort((a, b) => a.statusSeq - b.statusSeq)
      .map((b) => ({ batch_id: b.id, status: b.status as WireStatus }));
  }

  countStatuses(scope: Scope): number {
    return this.listStatuses(scope).length;
  }

  /** Sets, switches or (null) removes a batch's status. Messages are settled first so fates stay exact. */
  setStatus(scope: Scope, id: string, status: WireStatus | null): void {
    const b = this.batches.get(id);
    if (!b || !sameScope(b.scope, scope)) throw new Error(`no batch ${id} in this scope`);
    this.settle();
    if (b.status === status) return;
    if (b.status === null) b.statusSeq = ++this.statusSeq;
    b.status = status;
    b.statusChangedAt = this.clock.now();
    // Resuming a paused batch delivers its overdue messages at once (SendGrid, DELETE scheduled_sends).
    this.settle();
  }

  /** Earliest send_at still ahead among the batch's queued messages (the 10-minute rule's reference). */
  earliestPendingSendAt(id: string): number | null {
    this.settle();
    const now = this.clock.now();
    let earliest: number | null = null;
    for (const m of this.messages) {
      if (m.batchId === id && m.fate === "scheduled" && m.sendAt > now && (earliest === null || m.sendAt < earliest)) earliest = m.sendAt;
    }
    return earliest;
  }

  addMessage(scope: Scope, input: NewMessage): string {
    const id = `msg-${++this.messageSeq}`;
    this.messages.push({ id, scope, ...input, createdAt: this.clock.now(), fate: "scheduled", fateAt: null });
    this.settle();
    return id;
  }

  /**
   * Gives every message whose send_at has passed its fate: active batch → delivered; cancelled →
   * discarded; paused → kept, and expired 72 h after send_at (SendGrid's pause expiry). A message
   * is never resolved before the later of its send_at, its acceptance and its batch's last status
   * change, so a resumed overdue message is delivered at resume time.
   */
  settle(): void {
    const now = this.clock.now();
    for (const m of this.messages) {
      if (m.fate !== "scheduled" || m.sendAt > now) continue;
      const batch = m.batchId === null ? undefined : this.batches.get(m.batchId);
      const status = batch?.status ?? null;
      const from = Math.max(m.sendAt, m.createdAt, batch?.statusChangedAt ?? 0);
      if (status === null) this.resolve(m, "delivered", from);
      else if (status === "cancel") this.resolve(m, "discarded", from);
      else if (now >= m.sendAt + SENDGRID_LIMITS.pauseExpirySeconds)
        this.resolve(m, "expired", Math.max(m.sendAt + SENDGRID_LIMITS.pauseExpirySeconds, from));
    }
  }

  private resolve(m: Message, fate: MessageFate, at: number): void {
    m.fate = fate;
    m.fateAt = at;
  }

  batchViews(): BatchView[] {
    this.settle();
    return [...this.batches.values()]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((b) => ({
        batch_id: b.id,
        account: b.scope.account,
        onBehalfOf: b.scope.onBehalfOf,
        status: toBatchState(b.status),
        createdAt: b.createdAt,
        statusChangedAt: b.statusChangedAt,
      }));
  }

  messageViews(): MessageView[] {
    this.settle();
    return this.messages.map((m) => ({
      id: m.id,
      account: m.scope.account,
      onBehalfOf: m.scope.onBehalfOf,
      batch_id: m.batchId,
      send_at: m.sendAt,
      createdAt: m.createdAt,
      fate: m.fate,
      fateAt: m.fateAt,
      to: [...m.to],
      subject: m.subject,
    }));
  }
}
