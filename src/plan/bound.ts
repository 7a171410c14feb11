import type { z } from 'zod';
import type { ColumnModel } from '../introspect/model.js';
import type { ResolvedOptions } from '../policy/options.js';
import type { TableFields } from '../catalog/fields.js';

/** The read kinds a tool can have. */
export type ReadKind = 'query' | 'lookup' | 'count' | 'aggregate';
/** Every kind a tool can have: reads, and the writes the access policy may allow (filtered or by key). */
export type ToolKind = ReadKind | 'insert' | 'update' | 'update_by_key' | 'delete' | 'delete_by_key';

/**
 * One tool kind bound to one table: what validates a call's arguments. A typed tool and a generic tool naming the
 * same table get the same bound tool (only `name` differs, for messages).
 */
export interface BoundTool {
  /** The tool name errors mention (`query_orders`, or `query` for the generic tool). */
  readonly name: string;
  readonly kind: ToolKind;
  readonly fields: TableFields;
  /** Validates and types the call's arguments. */
  readonly input: z.ZodType;
  /** Argument names, for "unknown argument … allowed: …" messages. */
  readonly arguments: readonly string[];
  /** Lookups and by-key writes: the key's columns and their field names. */
  readonly key: readonly (readonly [field: string, column: ColumnModel])[];
}

export type PlanOptions = Pick<ResolvedOptions, 'limits' | 'clock' | 'timeZone'>;

