import type { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { TableFields } from '../catalog/fields.js';

/** The read kinds a tool can have. */
export type ReadKind = 'query' | 'lookup' | 'count' | 'aggregate';

/**
 * One tool kind bound to one table: what validates a call's arguments. A typed tool and a generic tool naming the
 * same table get the same bound tool (only `name` differs, for messages).
 */
export interface BoundTool {
  /** The tool name errors mention (`query_orders`, or `query` for the generic tool). */
  readonly name: string;
  readonly kind: ReadKind;
  readonly fields: TableFields;
  /** Validates and types the call's arguments. */
  readonly input: z.ZodType;
  /** Argument names, for "unknown argument … allowed: …" messages. */
  readonly arguments: readonly string[];
  /** Lookup tools: the key's columns and their field names. */
  readonly key: readonly (readonly [field: string, column: ColumnModel])[];
}

export type PlanOptions = Pick<ResolvedOptions, 'limits' | 'clock' | 'timeZone'>;

