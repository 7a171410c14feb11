/**
 * The registry of tool kinds: reads (query, lookup, count, aggregate) and writes (insert, update, delete, by key
 * and filtered), in listing order. Every stage — listing, validation, plan, rendering, annotations — asks a kind's
 * spec, never a `switch` on its name.
 * @module
 */
import { READ_KINDS, type ToolKindSpec } from './kinds.js';
import { WRITE_KINDS } from './write-kinds.js';

export const TOOL_KINDS: readonly ToolKindSpec[] = [...READ_KINDS, ...WRITE_KINDS];
