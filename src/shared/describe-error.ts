const MAX_LOGGED_MESSAGE_LENGTH = 500;

/**
 * What of an error goes into a log record: its type, code and a bounded message — never its stack, cause or own
 * fields, which may carry values (a driver's error can hold the statement's bindings).
 */
export function describeError(error: unknown): { type: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: 'A value that is not an Error was thrown.' };
  const code = (error as { code?: unknown }).code;
  const message = error.message.length > MAX_LOGGED_MESSAGE_LENGTH ? `${error.message.slice(0, MAX_LOGGED_MESSAGE_LENGTH)}…` : error.message;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}), message };
}
