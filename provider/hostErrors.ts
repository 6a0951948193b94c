// Errors on their way from this adapter to Pulumi's dynamic-provider host
// (@pulumi/pulumi/cmd/dynamic-provider), which loads the runtime and calls it. When a check, diff,
// read or delete fails, the host answers the engine with the error's message, which the engine
// shows under the resource; it also writes `${err}: ${err.stack}` to its stderr, which the engine
// shows again, under the stack: the message twice more and a JS stack trace, for every resource
// (two per batch in a `pulumi destroy` within SendGrid's 10-minute cut-off). The host is Pulumi's
// and cannot be told otherwise, so its copy of exactly the errors this adapter hands it is not
// written; everything else written to stderr, by the host or anyone, is untouched.

/** The host's renderings of errors handed to it and not yet written. */
const handedOver = new Set<string>();
let filtering = false;

function dropHostCopies(): void {
  if (filtering) return;
  filtering = true;
  const write = console.error;
  console.error = function errorWithoutHostCopies(this: Console, ...args: unknown[]): void {
    if (args.length === 1 && typeof args[0] === "string" && handedOver.delete(args[0])) return;
    write.apply(this, args);
  };
}

/**
 * `op` as the host calls it: a failure reaches the user as its message, once (the host's answer to
 * the engine), without a JS stack trace. For the operations whose failure the host writes to stderr
 * (check, diff, read, delete); a failed create or update is answered without that already.
 */
export function messageOnly<A extends unknown[], R>(op: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await op(...args);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      dropHostCopies();
      handedOver.add(`${error}: ${error.stack}`);
      throw error;
    }
  };
}
