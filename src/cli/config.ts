import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { describeIssues, jsonOptionsSchema } from '../policy/options.js';
import { UsageError, describeError } from './errors.js';

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How audit values are written: see docs/audit.md. */
export const AUDIT_VALUES = ['clear', 'hash', 'redact'] as const;

/** Where the audit trail goes: pino records on stderr, pino records appended to a file, or nowhere. */
export type AuditSinkSpec = { readonly kind: 'stderr' } | { readonly kind: 'off' } | { readonly kind: 'file'; readonly path: string };

const AUDIT_SINK_HELP = 'expected "stderr", "off" or "file:<path>"';

/** Reads `stderr`, `off` or `file:<path>` (a relative path against `base`); `undefined` for anything else. */
export function parseAuditSink(value: string, base = process.cwd()): AuditSinkSpec | undefined {
  if (value === 'stderr' || value === 'off') return { kind: value };
  if (value.startsWith('file:') && value.length > 'file:'.length) return { kind: 'file', path: resolve(base, value.slice('file:'.length)) };
  return undefined;
}

const auditSink = z.string().refine((value) => parseAuditSink(value) !== undefined, AUDIT_SINK_HELP);

/**
 * A `--config` file: the library's JSON-able options, checked by the library's own schema, plus the CLI's own keys
 * (`audit`, `logLevel`, `keysTable`).
 */
export const cliConfigSchema = jsonOptionsSchema.extend({
  audit: z
    .union([z.literal(false), auditSink, z.strictObject({ sink: auditSink.optional(), values: z.enum(AUDIT_VALUES).optional() })])
    .optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  keysTable: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'use letters, digits and "_", not starting with a digit')
    .optional(),
});

/** A validated config file. */
export type CliConfig = z.infer<typeof cliConfigSchema> & {
  /** The file's folder: `file:` audit paths in it are relative to it. */
  readonly directory: string;
};

/**
 * Reads and validates a config file. Throws {@link UsageError} (exit 2) naming the file and, for each mistake, the
 * key path and what is allowed, with the close key for a misspelt one.
 */
export function loadConfig(path: string): CliConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${file}: ${describeError(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: ${file} is not valid JSON: ${describeError(error)}`);
  }
  const parsed = cliConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(`Invalid config file ${file}: ${describeIssues(parsed.error.issues, cliConfigSchema).join('; ')}`);
  }
  return { ...parsed.data, directory: dirname(file) };
}
