// The one conversion from a millisecond clock to the Unix seconds SendGrid's send_at and the timing
// rules speak. Pure: the clock is a parameter (Date.now unless a caller supplies its own).

/** The current time in whole Unix seconds, from `now` (milliseconds since the epoch). */
export function nowSeconds(now: () => number = Date.now): number {
  return Math.floor(now() / 1000);
}
