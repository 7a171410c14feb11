import pino, { type Logger } from 'pino';
import type { AuditEvent } from '../../src/audit/event.js';

/** A complete event; `n` makes the request id unique. */
export function auditEvent(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    timestamp: new Date(Date.UTC(2025, 2, 1, 12, 0, 0, n % 1000)).toISOString(),
    requestId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    tool: 'query_orders',
    table: 'orders',
    operation: 'query',
    arguments: { where: [{ field: 'status', op: 'eq', value: 'shipped' }], limit: 10 },
    caller: { keyId: 'k3q7m2x9ab4c', keyName: 'claude-api', subject: 'alice' },
    client: { name: 'claude-ai', version: '1.2.3', userAgent: 'claude-user/1.0' },
    model: 'claude-sonnet',
    outcome: 'ok',
    rowCount: 3,
    truncated: false,
    durationMs: 12,
    errorCode: null,
    ...overrides,
  };
}

/** A parsed pino record. */
export type LogRecord = Record<string, unknown> & { level: number; msg: string };

/** A pino logger writing JSON lines into memory. */
export function captureLogger(level: pino.LevelWithSilent = 'trace'): { logger: Logger; lines: string[]; records: () => LogRecord[] } {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as LogRecord) };
}

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a flaky test is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
