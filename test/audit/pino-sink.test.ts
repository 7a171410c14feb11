import { describe, expect, it } from 'vitest';
import { createAuditor } from '../../src/audit/auditor.js';
import { AUDIT_REDACT_PATHS, functionSink, pinoSink } from '../../src/audit/sinks.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { auditEvent, captureLogger } from './support.js';

describe('pinoSink', () => {
  it('writes one JSON line per event, the event under `audit`, at info with message "audit"', async () => {
    const { logger, lines, records } = captureLogger('info');
    const sink = pinoSink(logger);
    const events = [auditEvent(1), auditEvent(2, { outcome: 'error', errorCode: 'database_error', rowCount: null })];
    await sink.write(events);
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const parsed = records();
    expect(parsed.map((record) => record.audit)).toEqual(events);
    expect(parsed.map((record) => [record.level, record.msg])).toEqual([
      [30, 'audit'],
      [30, 'audit'],
    ]);
    expect(sink.name).toBe('pino');
  });

  it('honours level and message, and still writes through a logger set to warn', async () => {
    const quiet = captureLogger('warn');
    await pinoSink(quiet.logger).write([auditEvent(1)]);
    expect(quiet.records().map((record) => record.level)).toEqual([30]);

    const loud = captureLogger('info');
    await pinoSink(loud.logger, { level: 'warn', message: 'tool call' }).write([auditEvent(1)]);
    expect(loud.records().map((record) => [record.level, record.msg])).toEqual([[40, 'tool call']]);
  });

  it('redacts secret-looking argument keys at the first two levels, leaving the event object unchanged', async () => {
    const { logger, lines, records } = captureLogger();
    const args = {
      password: 'hunter2',
      api_key: 'key-1',
      where: [{ field: 'name', op: 'eq', value: 'kept' }],
      nested: { authorization: 'Bearer abc', token: 'tok-2', other: 'kept too' },
    };
    const event = auditEvent(1, { arguments: args });
    await pinoSink(logger).write([event]);
    const logged = (records()[0].audit as AuditEvent).arguments;
    expect(logged).toEqual({
      password: '[redacted]',
      api_key: '[redacted]',
      where: [{ field: 'name', op: 'eq', value: 'kept' }],
      nested: { authorization: '[redacted]', token: '[redacted]', other: 'kept too' },
    });
    for (const secret of ['hunter2', 'key-1', 'tok-2', 'Bearer abc']) expect(lines.join('')).not.toContain(secret);
    expect(event.arguments).toBe(args);
    expect(args.password).toBe('hunter2');
    expect(AUDIT_REDACT_PATHS).toContain('audit.arguments.*.cookie');
  });

  it('puts nothing user-controlled at the top level of a record', async () => {
    const { logger, records } = captureLogger();
    const event = auditEvent(1, { arguments: { level: 99, msg: 'forged', time: 0, hostname: 'evil' }, tool: 'level' });
    await pinoSink(logger).write([event]);
    const [record] = records();
    expect(Object.keys(record).sort()).toEqual(['audit', 'hostname', 'level', 'msg', 'pid', 'time']);
    expect(record.level).toBe(30);
    expect(record.msg).toBe('audit');
    expect(record.hostname).not.toBe('evil');
  });

  it('works as an auditor sink, and close flushes', async () => {
    const { logger, records } = captureLogger();
    const auditor = createAuditor({ sinks: [pinoSink(logger)], mode: 'buffered', flushIntervalMs: 60_000 });
    await auditor.record(auditEvent(1));
    expect(records()).toEqual([]);
    await auditor.close();
    expect(records().map((record) => (record.audit as AuditEvent).requestId)).toEqual([auditEvent(1).requestId]);
  });

  it('rejects an unknown level', () => {
    const { logger } = captureLogger();
    expect(() => pinoSink(logger, { level: 'debug' as 'info' })).toThrow(TypeError);
  });
});

describe('functionSink', () => {
  it('passes each batch to the function and propagates its failure', async () => {
    const seen: string[][] = [];
    const sink = functionSink((events) => void seen.push(events.map((event) => event.requestId)));
    expect(sink.name).toBe('function');
    await sink.write([auditEvent(1), auditEvent(2)]);
    expect(seen).toEqual([[auditEvent(1).requestId, auditEvent(2).requestId]]);

    const failing = functionSink(() => {
      throw new Error('no');
    }, 'siem');
    expect(failing.name).toBe('siem');
    await expect(failing.write([auditEvent(1)])).rejects.toThrow('no');
  });
});
