import { z } from 'zod';
import type { ColumnModel, NormalizedType } from '../introspect/model.js';

const BIG_INTEGER = /bigint|int8|bigserial|unsigned/i;

/** The JSON type of a rendered value; see `execute/values.ts`, which produces them. */
function valueSchema(type: NormalizedType, column: ColumnModel | null): z.ZodType {
  switch (type) {
    case 'integer':
      // 64-bit values beyond 2^53 are rendered as strings so they stay exact.
      return column && BIG_INTEGER.test(column.nativeType) ? z.union([z.number().int(), z.string()]) : z.number().int();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'json':
    case 'unknown':
      return z.unknown();
    case 'array':
      // A value too long to return is replaced by a marked text giving its size (see `maxValueChars`).
      return z.union([z.array(valueSchema(column?.elementType ?? 'unknown', null)), z.string()]);
    default:
      // decimal (exact, as a string), dates and times (ISO), uuid, enum, string, binary (base64)
      return z.string();
  }
}

/** Output schema of one row: every visible field, typed by its column. */
export function rowSchema(fields: readonly (readonly [string, ColumnModel])[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, column] of fields) {
    const schema = valueSchema(column.type, column);
    shape[field] = column.nullable || column.type === 'json' || column.type === 'unknown' ? schema.nullable() : schema;
  }
  return z.object(shape);
}
