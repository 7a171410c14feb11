/**
 * The stdio transport behind `serveStdio`: newline-delimited JSON-RPC, like the SDK's `StdioServerTransport`, but
 * with every line bounded while it is read and every bad line answered and reported instead of ending the session.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

const NEWLINE = 0x0a;
/** JSON-RPC 2.0: the line is not JSON. */
export const PARSE_ERROR = -32700;
/** JSON-RPC 2.0: not a valid request; also used for a line over the length limit. */
export const INVALID_REQUEST = -32600;

/** How a {@link LineBoundedStdioTransport} bounds and reports. */
export interface LineBoundedStdioOptions {
  /** Longest line accepted, in bytes, newline excluded. */
  readonly maxLineBytes: number;
  /** Told of each dropped line or stream failure, in words that never include a line's content. */
  readonly report: (problem: string) => void;
}

/**
 * An MCP server transport over a pair of streams. A line longer than `maxLineBytes` is never held whole: once the
 * limit is passed, what was buffered is released, the rest of the line is skipped up to its newline, and the
 * client gets a JSON-RPC error. Lines that are not JSON or not JSON-RPC are answered the same way. The session
 * goes on in every case; only a failing stream closes it.
 */
export class LineBoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];

  /** The start of the current line, copied out of the chunks it came in; at most `maxLineBytes` in all. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line that passed the limit: bytes are dropped up to the next newline. */
  private skipping = false;
  private state: 'new' | 'open' | 'closed' = 'new';
  private outputFailed = false;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    private readonly options: LineBoundedStdioOptions,
  ) {}

  start(): Promise<void> {
    if (this.state !== 'new') throw new Error('LineBoundedStdioTransport already started');
    this.state = 'open';
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onInputError);
    // Without a listener, EPIPE on stdout (the client stopped reading) would crash the host process.
    this.stdout.on('error', this.onOutputError);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closed';
    this.stdin.off('data', this.onData);
    // The error listeners stay: a stream failing after close must not crash the process either.
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.pending = [];
    this.pendingBytes = 0;
    this.onclose?.();
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.outputFailed || this.stdout.destroyed || this.stdout.writableEnded) {
        reject(new Error('stdout is no longer writable'));
        return;
      }
      // The callback runs once the line is handed over (or failed): backpressure without piling up 'drain' listeners.
      this.stdout.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : resolve()));
    });
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (start < bytes.length && this.state === 'open') {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      if (!this.skipping) {
        if (this.pendingBytes + (end - start) > this.options.maxLineBytes) {
          this.pending = [];
          this.pendingBytes = 0;
          this.skipping = true;
          this.refuseOversized();
        } else if (newline === -1) {
          // Copied: a slice would keep the whole chunk alive, however large the stream made it.
          this.pending.push(Buffer.from(bytes.subarray(start, end)));
          this.pendingBytes += end - start;
        } else {
          const line = this.pending.length === 0 ? bytes.subarray(start, end) : Buffer.concat([...this.pending, bytes.subarray(start, end)]);
          this.pending = [];
          this.pendingBytes = 0;
          this.handleLine(line);
        }
      }
      if (newline === -1) return;
      this.skipping = false;
      start = newline + 1;
    }
  };

  private handleLine(line: Buffer): void {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The SyntaxError quotes the line: neither it nor the line is repeated anywhere.
      this.refuse(null, PARSE_ERROR, 'Parse error: the line is not valid JSON.', 'dropped a line that is not valid JSON');
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.refuse(requestIdOf(value), INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message.', 'dropped a message that is not JSON-RPC 2.0');
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (error) {
      this.options.report('failed to handle a message');
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private refuseOversized(): void {
    const limit = this.options.maxLineBytes;
    this.refuse(
      null,
      INVALID_REQUEST,
      `Request too large: a line on stdio may carry at most ${limit} bytes (maxLineBytes); it was dropped.`,
      `dropped a line longer than the limit of ${limit} bytes (maxLineBytes)`,
      { maxLineBytes: limit },
    );
  }

  /** Answers a line that was not handed to the server, and reports it. */
  private refuse(id: RequestId | null, code: number, message: string, problem: string, data?: Record<string, unknown>): void {
    this.options.report(problem);
    this.onerror?.(new Error(`stdio: ${problem}`));
    // JSON-RPC 2.0 requires `id: null` when the id could not be read; the SDK's message type has no null id.
    const answer = { jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } } as unknown as JSONRPCMessage;
    this.send(answer).catch(() => {
      // A failing stdout is reported and closes the transport in onOutputError.
    });
  }

  private readonly onInputError = (error: Error): void => {
    if (this.state === 'closed') return;
    this.options.report(`stdin failed (${describeStreamError(error)}): closing`);
    this.onerror?.(error);
    void this.close();
  };

  private readonly onOutputError = (error: Error): void => {
    if (this.outputFailed) return;
    this.outputFailed = true;
    this.options.report(`stdout failed (${describeStreamError(error)}): the client stopped reading; closing`);
    if (this.state === 'closed') return;
    this.onerror?.(error);
    void this.close();
  };
}

/** The id of a message meant as a request, when it has a usable one: the client waiting on it gets its answer. */
function requestIdOf(value: unknown): RequestId | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('method' in value) || !('id' in value)) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
}

/** A stream error's code (EPIPE, EIO…) or message: an OS error, never data read from the stream. */
function describeStreamError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}

/** Tells of at most `burst` problems per `windowMs`, then how many more there were. */
export interface RateLimitedReporter {
  report(problem: string): void;
  /** Tells how many problems were held back, if any (e.g. when the session ends). */
  flush(): void;
}

/** A {@link RateLimitedReporter} writing `conexor: stdio: <problem>` lines through `write`. */
export function rateLimitedReporter(write: (line: string) => void, burst = 5, windowMs = 60_000, now: () => number = Date.now): RateLimitedReporter {
  let windowStart = Number.NEGATIVE_INFINITY;
  let told = 0;
  let held = 0;
  const flush = () => {
    if (held > 0) write(`conexor: stdio: ${held} more problem(s) not reported one by one\n`);
    held = 0;
  };
  return {
    report(problem) {
      const time = now();
      if (time - windowStart >= windowMs) {
        flush();
        windowStart = time;
        told = 0;
      }
      if (told < burst) {
        told += 1;
        write(`conexor: stdio: ${problem}\n`);
      } else {
        held += 1;
      }
    },
    flush,
  };
}
