import { CommanderError } from 'commander';
import { ConexorError } from '../errors.js';
import { redact } from './redact.js';

/** Exit code of a command that was used wrongly (bad flag, bad URL, policy naming what does not exist). */
export const EXIT_USAGE = 2;
/** Exit code of a command that failed while running (database unreachable, unknown key id…). */
export const EXIT_FAILURE = 1;

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A mistake in how the command was invoked: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/**
 * The message of any thrown value, never empty: Node reports a refused connection to a host with several
 * addresses as an `AggregateError` whose own message is blank.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    const inner = error.errors.map(describeError).filter(Boolean);
    if (inner.length > 0) return [...new Set(inner)].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}

/** The exit code for an error, after writing it to stderr as one redacted line. */
export function reportError(error: unknown): number {
  // Commander has already printed its own usage errors, and help/version are successes.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  const exitCode =
    error instanceof CliError
      ? error.exitCode
      : error instanceof ConexorError && error.code === 'configuration'
        ? EXIT_USAGE
        : EXIT_FAILURE;
  const line = redact(describeError(error)).replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`error: ${line}\n`);
  return exitCode;
}
