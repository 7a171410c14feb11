/**
 * Resolves on the first SIGINT or SIGTERM (or when `also` resolves), then stops listening for them, so a second
 * Ctrl-C during shutdown falls back to Node's default and kills the process.
 */
export function untilShutdown(also?: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const stop = (reason: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(reason);
    };
    const onSignal = (signal: NodeJS.Signals) => stop(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void also?.then(() => stop('closed'));
  });
}
