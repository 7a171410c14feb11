import { describe, expect, it } from 'vitest';
import { createAuditor } from '../../src/audit/auditor.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { AUDIT_TEXT_LIMITS, TRUNCATED, UNREADABLE, sanitizeAuditEvent, sanitizeText } from '../../src/audit/sanitize.js';
import { functionSink, pinoSink } from '../../src/audit/sinks.js';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { auditEvent, captureLogger } from './support.js';

const KEY = generateApiKey({ name: 'sanitize-test' }).key;
const SECRET = KEY.slice(-43);
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string of a value, keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  return [];
}

/** An event with every kind of poison in every text field, `arguments` included. */
function poisonedEvent(): AuditEvent {
  const huge = 'z'.repeat(2 * 1024 * 1024);
  return auditEvent(1, {
    requestId: `req\u0000${'r'.repeat(100)}`,
    tool: `tool\uD800${huge}`,
    table: `t\u0000${'t'.repeat(300)}`,
    operation: `op\uDC00${'o'.repeat(40)}`,
    arguments: {
      [`key\u0000`]: 'a',
      [`key\uDC00`]: { deep: [`v\uD800`, `x${KEY}y`, huge] },
      [KEY]: 1,
      [`${'k'.repeat(1_000)}${KEY}`]: null,
      list: [1, 2n, `\u0000`],
    },
    caller: { keyId: `id\uDBFF`, keyName: `name ${KEY}`, subject: `sub\u0000${huge}` },
    client: { name: `c\uDFFF`, version: huge, userAgent: `ua ${KEY} \u0000` },
    model: `x\u0000y`,
    errorCode: `e${'e'.repeat(100)}`,
  });
}

describe('sanitizeText', () => {
  it('replaces NUL and lone surrogates, keeps pairs', () => {
    expect(sanitizeText('a\u0000b', 100)).toBe('a\uFFFDb');
    expect(sanitizeText('\uD800a\uDC00', 100)).toBe('\uFFFDa\uFFFD');
    expect(sanitizeText('end\uD83D', 100)).toBe('end\uFFFD');
    expect(sanitizeText('emoji 😀', 100)).toBe('emoji 😀');
  });

  it('redacts keys before cutting, so no part of a key survives a cut through it', () => {
    expect(sanitizeText(`a ${KEY} b`, 100)).toBe('a [redacted] b');
    for (let max = 16; max <= 80; max++) {
      const text = `${'p'.repeat(10)}${KEY}${'s'.repeat(1_000)}`;
      const clean = sanitizeText(text, max);
      expect(clean.length, String(max)).toBeLessThanOrEqual(max);
      expect(clean).not.toContain(SECRET.slice(0, 4));
      expect(clean).not.toContain(KEY.slice(0, 16));
    }
    // Keys back to back: redaction shortens the text, yet no key that was not redacted whole shows up.
    for (const max of [16, 64, 100, 1_024]) {
      const clean = sanitizeText(`${KEY.repeat(200)}${'😀'.repeat(10)}`, max);
      expect(clean.length).toBeLessThanOrEqual(max);
      expect(clean).not.toContain('cx_');
      expect(clean.endsWith(`…${TRUNCATED}`)).toBe(true);
    }
  });

  it('bounds text with a marker, never splitting a surrogate pair', () => {
    expect(sanitizeText('x'.repeat(2_000_000), 64)).toBe(`${'x'.repeat(52)}…${TRUNCATED}`);
    const pairs = '😀'.repeat(100);
    for (const max of [16, 17, 64, 65]) {
      const clean = sanitizeText(pairs, max);
      expect(clean.length).toBeLessThanOrEqual(max);
      expect(clean).not.toMatch(LONE);
      expect(clean.endsWith(`…${TRUNCATED}`)).toBe(true);
    }
  });

  it('returns the very string when nothing needs changing', () => {
    const text = 'plain text with cx_ but no key';
    expect(sanitizeText(text, 100)).toBe(text);
  });
});

describe('sanitizeAuditEvent', () => {
  it('leaves a clean event as it is, the same object', () => {
    const event = auditEvent(1);
    expect(sanitizeAuditEvent(event)).toBe(event);
  });

  it('makes every string of a poisoned event storable, bounded and key-free, without changing the original', () => {
    const event = poisonedEvent();
    const before = JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    const clean = sanitizeAuditEvent(event);
    expect(JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).toBe(before);

    const json = JSON.stringify(clean);
    expect(json).not.toContain(KEY);
    expect(json).not.toContain(SECRET.slice(0, 12));
    for (const text of strings(JSON.parse(json))) {
      expect(text).not.toContain('\u0000');
      expect(text).not.toMatch(LONE);
    }
    const limits = AUDIT_TEXT_LIMITS;
    expect(clean.requestId.length).toBeLessThanOrEqual(limits.requestId);
    expect(clean.table?.length).toBeLessThanOrEqual(limits.table);
    expect(clean.operation?.length).toBeLessThanOrEqual(limits.operation);
    expect(clean.errorCode?.length).toBeLessThanOrEqual(limits.errorCode);
    for (const text of [clean.tool, clean.caller.keyName, clean.caller.subject, clean.client.version, clean.client.userAgent]) {
      expect(text?.length).toBeLessThanOrEqual(limits.text);
    }
    expect(json.length).toBeLessThan(limits.arguments + 10 * limits.text);
    expect(clean).toMatchObject({
      model: 'x\uFFFDy',
      caller: { keyId: 'id\uFFFD', keyName: 'name [redacted]' },
      client: { name: 'c\uFFFD', userAgent: 'ua [redacted] \uFFFD' },
    });
    const args = clean.arguments as Record<string, unknown>;
    expect(args['key\uFFFD']).toBe('a');
    // Two keys sanitized alike are both kept.
    expect(args['key\uFFFD#2']).toMatchObject({ deep: ['v\uFFFD', 'x[redacted]y', expect.stringMatching(/^z+…\[truncated\]$/)] });
    expect(args['[redacted]']).toBe(1);
    expect(Object.keys(args).find((key) => key.startsWith('kkk'))).toMatch(/^k+…\[truncated\]$/);
    expect(args.list).toEqual([1, '2', '\uFFFD']);
  });

  it('bounds arguments as a whole, and their depth; cycles and unreadable values do not throw', () => {
    const wide = Array.from({ length: 100_000 }, (_, n) => `value ${n}`);
    const cut = sanitizeAuditEvent(auditEvent(1, { arguments: { wide } })).arguments as { wide: string[] };
    expect(cut.wide.length).toBeLessThan(20_000);
    expect(cut.wide.at(-1)).toBe(TRUNCATED);
    expect(JSON.stringify(cut).length).toBeLessThan(AUDIT_TEXT_LIMITS.arguments + 100);

    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(() => JSON.stringify(sanitizeAuditEvent(auditEvent(1, { arguments: cyclic })))).not.toThrow();

    const unreadable = {
      get boom(): never {
        throw new Error('getter');
      },
    };
    expect(sanitizeAuditEvent(auditEvent(1, { arguments: unreadable })).arguments).toBe(UNREADABLE);
    // What JSON would write: a Date as its ISO string.
    expect(sanitizeAuditEvent(auditEvent(1, { arguments: { at: new Date(0), key: `${KEY}` } })).arguments).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      key: '[redacted]',
    });
  });

  it('keeps an own __proto__ key as a key', () => {
    const args = JSON.parse('{"__proto__": "a\\u0000", "x": 1}') as Record<string, unknown>;
    const clean = sanitizeAuditEvent(auditEvent(1, { arguments: args })).arguments;
    expect(JSON.parse(JSON.stringify(clean))).toEqual(JSON.parse('{"__proto__": "a\\ufffd", "x": 1}'));
  });
});

describe('an auditor sanitizes every event before any sink', () => {
  it.each(['sync', 'buffered'] as const)('%s: function and pino sinks get the sanitized event', async (mode) => {
    const seen: AuditEvent[] = [];
    const { logger, lines } = captureLogger();
    const auditor = createAuditor({ sinks: [functionSink((batch) => void seen.push(...batch)), pinoSink(logger)], mode, onFailure: 'deny' });
    const event = poisonedEvent();
    await auditor.record(event);
    await auditor.close();
    expect(auditor.stats).toEqual({ recorded: 1, written: 1, failed: 0, pending: 0 });
    expect(seen).toEqual([sanitizeAuditEvent(event)]);
    expect(lines).toHaveLength(1);
    // One JSON line, parseable, without NUL (raw or escaped), lone surrogates or the key.
    const line = lines[0] as string;
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(line).not.toContain('\u0000');
    expect(line).not.toMatch(/\\u0000|\\ud[89a-f][0-9a-f]{2}/i);
    expect(line).not.toMatch(LONE);
    expect(line).not.toContain(KEY);
    expect((JSON.parse(line) as { audit: AuditEvent }).audit).toEqual(sanitizeAuditEvent(event));
  });
});
