import type { Logger } from 'pino';

/** Writes one kind of log record at most once per interval, counting the ones it held back. */
export type ThrottledLog = (kind: string, fields: Record<string, unknown>, message: string) => void;

/**
 * A log that cannot be flooded: the first record of each kind is written at once, later ones of that kind are
 * counted and the next record after `intervalMs` carries the count (`suppressed`). A hostile client sending
 * thousands of bad keys costs one line a minute, and an operator still sees that it happens. No timer is armed.
 */
export function throttledLog(logger: Logger, level: 'warn' | 'error', intervalMs = 60_000, maxKinds = 1_000): ThrottledLog {
  const kinds = new Map<string, { lastAt: number; suppressed: number }>();
  return (kind, fields, message) => {
    const now = Date.now();
    const state = kinds.get(kind);
    if (state && now - state.lastAt < intervalMs) {
      state.suppressed += 1;
      return;
    }
    // Kinds come from a fixed vocabulary, but a bound keeps a mistake from growing the map.
    if (!state && kinds.size >= maxKinds) kinds.clear();
    const suppressed = state?.suppressed ?? 0;
    kinds.set(kind, { lastAt: now, suppressed: 0 });
    try {
      logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, suppressed > 0 ? `${message} (${suppressed} more like it since the last report)` : message);
    } catch {
      // A broken logger must not turn a refused request into a crash.
    }
  };
}
