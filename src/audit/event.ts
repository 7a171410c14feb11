/** How argument values of visible fields appear in audit events; other values are always redacted. */
export type AuditValues = 'clear' | 'hash' | 'redact';

/** How a tool call ended. */
export type AuditOutcome = 'ok' | 'denied' | 'invalid' | 'error' | 'timeout';

/**
 * One audit record per tool call, whatever the outcome. Argument values are already redacted or hashed per policy
 * when an event is built: values of hidden, secret-looking, scoping or unknown fields never appear in clear.
 */
export interface AuditEvent {
  /** ISO 8601 time the call started. */
  readonly timestamp: string;
  /** Unique per call (UUID). */
  readonly requestId: string;
  readonly tool: string;
  /** Real table name (schema-qualified when not in the default schema); `null` for an unknown tool. */
  readonly table: string | null;
  /**
   * `query`, `lookup`, `count`, `aggregate`, `search` (search_tables), `insert`, `update`, `delete`, `host` (a tool
   * the host registered); `null` for an unknown tool.
   */
  readonly operation: string | null;
  /** The call's arguments with values redacted or hashed per policy. */
  readonly arguments: unknown;
  readonly caller: {
    readonly keyId: string | null;
    readonly keyName: string | null;
    /** End user / subject, when the host's context function supplies one. */
    readonly subject: string | null;
  };
  readonly client: {
    readonly name: string | null;
    readonly version: string | null;
    readonly userAgent: string | null;
  };
  /** The model, when the host's context function, the request metadata or a header supplies it; never guessed. */
  readonly model: string | null;
  readonly outcome: AuditOutcome;
  /** Rows returned (query, lookup), counted (count) or changed (insert, update, delete); `null` when the call did not run. */
  readonly rowCount: number | null;
  /** Writes: the keys of the changed rows (at most 100), values per `audit.values`. Absent for reads. */
  readonly keys?: readonly Record<string, unknown>[];
  readonly truncated: boolean | null;
  readonly durationMs: number;
  /** conexor error code (`invalid_arguments`, `timeout`, `database_error`, `denied`, `audit_failed`…); `null` when ok. */
  readonly errorCode: string | null;
}

/**
 * Where audit events go. `write` resolves once the events are durable (for a sink that can say so), and rejects
 * when it did not write them; the auditor then retries the batch (buffered mode) or counts it as failed.
 *
 * A sink that wrote some events of a batch but refused others for good (a row its database will never accept:
 * retrying cannot help) rejects with an error whose `refused` property lists the refused events' request ids, as
 * `knexSink`'s `AuditSinkError` does: the auditor counts and reports only those as failed, without retrying them,
 * and the rest of the batch as written. A `refused` list that is empty or names an event outside the batch counts
 * as a failure of the whole batch.
 */
export interface AuditSink {
  readonly name: string;
  write(events: readonly AuditEvent[]): Promise<void>;
  /** Flushes anything buffered and releases resources. */
  close?(): Promise<void>;
}
