/**
 * The emulator's clock, in unix seconds. It runs with real time from a movable offset, so a demo
 * sees mail go out on its own, and tests jump ahead with `advance` or `set`.
 */
export class Clock {
  private offsetMs: number;

  constructor(
    start?: number,
    private readonly realNowMs: () => number = Date.now,
  ) {
    this.offsetMs = start === undefined ? 0 : start * 1000 - realNowMs();
  }

  /** Current time, whole unix seconds. */
  now(): number {
    return Math.floor((this.realNowMs() + this.offsetMs) / 1000);
  }

  advance(seconds: number): number {
    this.offsetMs += seconds * 1000;
    return this.now();
  }

  set(unixSeconds: number): number {
    this.offsetMs = unixSeconds * 1000 - this.realNowMs();
    return this.now();
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
