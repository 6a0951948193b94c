// The time budget of one invocation, from context.getRemainingTimeInMillis().
//
// If the function times out, nobody answers CloudFormation and the stack waits for the whole
// ServiceTimeout (default one hour; twice, when the rollback Delete hangs too — aws/aws-cdk#2126).
// So the work gets the remaining time minus a reserve, and the reserve is what the response PUT
// (with its retries) may use. The last sliver is left for the runtime to flush logs.

export interface Budget {
  /** Epoch ms when the work is abandoned and FAILED is sent instead. */
  workEndsAt: number;
  /** Epoch ms by which every response attempt must be over. */
  respondBy: number;
}

/** Reserve for the response: a quarter of the time, at least 0.5 s, at most 15 s. */
export function budgetFor(remainingMs: number, now: number): Budget {
  const remaining = Math.max(0, remainingMs);
  const reserve = Math.min(15_000, Math.max(500, Math.floor(remaining * 0.25)));
  const sliver = Math.min(1_000, Math.floor(remaining * 0.05));
  return { workEndsAt: now + Math.max(0, remaining - reserve), respondBy: now + Math.max(0, remaining - sliver) };
}

/** A timer that resolves when the work's share of the budget is used up; `clear` disarms it. */
export class Deadline {
  readonly expired: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly controller = new AbortController();

  constructor(
    readonly budget: Budget,
    now: number,
  ) {
    this.expired = new Promise<void>((resolve) => {
      this.timer = setTimeout(
        () => {
          this.controller.abort();
          resolve();
        },
        Math.max(0, budget.workEndsAt - now),
      );
    });
  }

  /**
   * Aborted when the deadline passes, before `expired` resolves (and by `clear`): handed to every
   * call of the event that can be cancelled (the AWS SDK, the SendGrid client).
   */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Disarm, once the event is answered: a timer left over from this event must never fire into the
   * next warm invocation, and nothing the event started may go on (its signal is aborted).
   */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.controller.abort();
  }
}
