/**
 * Option mistakes are named by their path, and a misspelt key gets the close known key at its place — in the library
 * and, through the same schema, in the CLI's config file (test/cli/config.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { describeIssues, jsonOptionsSchema, resolveOptions, type ConexorOptions } from '../../src/policy/options.js';

function messageOf(options: unknown): string {
  try {
    resolveOptions(options as ConexorOptions, '0.0.0');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('option mistakes', () => {
  it('suggest the close key for a misspelt one, at any depth', () => {
    expect(messageOf({ maxRow: 10 })).toBe('Invalid conexor options: maxRow: unknown key; did you mean "maxRows"?');
    expect(messageOf({ tables: { exlude: ['a'] } })).toBe('Invalid conexor options: tables.exlude: unknown key; did you mean "exclude"?');
    // In a union branch, and without also calling the correctly spelt required key missing.
    expect(messageOf({ aggregates: { exlude: ['a'] } })).toBe('Invalid conexor options: aggregates.exlude: unknown key; did you mean "exclude"?');
    expect(messageOf({ catalog: { budget: 2000 } })).toBe('Invalid conexor options: catalog.budget: unknown key; did you mean "budgetTokens"?');
  });

  it('list the known keys when none is close', () => {
    expect(messageOf({ zzzzzzzz: 1 })).toMatch(/^Invalid conexor options: zzzzzzzz: unknown key; known keys: schemas, tables, views, /);
  });

  it('name the path and what is expected for a wrong type', () => {
    expect(messageOf({ maxRows: '10' })).toBe('Invalid conexor options: maxRows: Invalid input: expected number, received string');
    expect(messageOf({ aggregates: 'yes' })).toBe('Invalid conexor options: aggregates: expected boolean or object');
    expect(messageOf({ writes: { operations: ['drop'] } })).toContain('writes.operations.0: Invalid option: expected one of "insert"|"update"|"delete"');
  });

  it('the JSON subset has no function-valued options', () => {
    const parsed = jsonOptionsSchema.safeParse({ logger: {}, maxRows: 5 });
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error?.issues ?? [], jsonOptionsSchema)).toEqual(['logger: unknown key; known keys: ' + Object.keys(jsonOptionsSchema.shape).join(', ')]);
  });
});

describe('CONEXOR_LOG_LEVEL', () => {
  it('sets the level of the default logger; anything else leaves it at warn; a host logger is never touched', () => {
    const before = process.env.CONEXOR_LOG_LEVEL;
    try {
      process.env.CONEXOR_LOG_LEVEL = 'debug';
      expect(resolveOptions({}, '0.0.0').logger.level).toBe('debug');
      process.env.CONEXOR_LOG_LEVEL = 'loud';
      expect(resolveOptions({}, '0.0.0').logger.level).toBe('warn');
      process.env.CONEXOR_LOG_LEVEL = 'silent';
      const silenced = resolveOptions({}, '0.0.0');
      expect([silenced.logger.level, silenced.silent]).toEqual(['silent', true]);
      const own = resolveOptions({}, '0.0.0').logger.child({});
      own.level = 'error';
      expect(resolveOptions({ logger: own }, '0.0.0').logger.level).toBe('error');
    } finally {
      if (before === undefined) delete process.env.CONEXOR_LOG_LEVEL;
      else process.env.CONEXOR_LOG_LEVEL = before;
    }
  });
});
