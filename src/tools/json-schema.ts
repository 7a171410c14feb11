import { z } from 'zod';

type JsonObject = { [key: string]: unknown };

const SAFE_MIN = Number.MIN_SAFE_INTEGER;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const DEFS_PREFIX = '#/$defs/';
// Bytes of `{"$ref":"#/$defs/dN"}` and of a `"dN":` entry in `$defs`.
const REF_COST = 21;
const DEF_ENTRY_COST = 6;

/**
 * The JSON Schema a client sees for a zod schema. Made once per tool and trimmed of what costs tokens
 * without telling the model anything: the `$schema` line, safe-integer bounds, patterns behind a named format,
 * and `$defs` that are aliases, used once, or smaller than a reference to them.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json = z.toJSONSchema(schema, { io, reused: 'ref', unrepresentable: 'any' }) as JsonObject;
  delete json.$schema;
  const root = compact(json, io, 'root') as JsonObject;
  const properties = root.properties as Record<string, JsonObject> | undefined;
  // Top-level arguments keep their bounds (how many conditions, keys, metrics); nested ones are enforced with errors.
  for (const [name, property] of Object.entries(properties ?? {})) {
    const original = ((json.properties as Record<string, JsonObject> | undefined) ?? {})[name];
    if (typeof original?.maxItems === 'number') property.maxItems = original.maxItems;
  }
  if (io === 'input' && json.additionalProperties === false) root.additionalProperties = false;
  return optimizeDefs(root);
}

function compact(node: unknown, io: 'input' | 'output', at: 'root' | 'nested' = 'nested'): unknown {
  if (Array.isArray(node)) return node.map((item) => compact(item, io));
  if (!node || typeof node !== 'object') return node;
  const object: JsonObject = {};
  for (const [key, value] of Object.entries(node)) object[key] = compact(value, io);
  // Refused with an error naming the key when it happens; saying it on every nested object costs many tokens.
  if (object.additionalProperties === false) delete object.additionalProperties;
  if (at === 'nested') delete object.maxItems;
  // A loose object (the echo of resolved times) needs no key schema.
  delete object.propertyNames;
  if (object.minimum === SAFE_MIN) delete object.minimum;
  if (object.maximum === SAFE_MAX) delete object.maximum;
  // A 32-bit column's full range is no news to a model; narrower ones (tinyint, unsigned) stay visible.
  if (object.minimum === INT32_MIN && object.maximum === INT32_MAX) {
    delete object.minimum;
    delete object.maximum;
  }
  if (typeof object.format === 'string') delete object.pattern;
  // Enforced on every call with an error that states the bound; not worth tokens on every listing.
  if (object.type === 'string') delete object.maxLength;
  if (object.minItems === 1) delete object.minItems;
  if (object.minLength === 1) delete object.minLength;
  // `enum` alone says the values are strings.
  if (object.type === 'string' && Array.isArray(object.enum) && object.enum.every((value) => typeof value === 'string')) {
    delete object.type;
  }
  // Output objects are produced by conexor itself; closing them tells a client nothing.
  if (io === 'output') delete object.additionalProperties;
  // anyOf [{type: T}, {type: null}] → {type: [T, null]}
  const anyOf = object.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const [first, second] = anyOf as JsonObject[];
    if (first && second && isPlainType(first) && second.type === 'null' && Object.keys(second).length === 1) {
      delete object.anyOf;
      Object.assign(object, first, { type: [first.type, 'null'] });
      if (Array.isArray(first.enum)) object.enum = [...first.enum, null];
    }
  }
  return object;
}

function isPlainType(node: JsonObject): boolean {
  return typeof node.type === 'string' && Object.keys(node).every((key) => ['type', 'format', 'enum'].includes(key));
}

function refName(node: unknown): string | null {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return null;
  const ref = (node as JsonObject).$ref;
  return typeof ref === 'string' && ref.startsWith(DEFS_PREFIX) ? ref.slice(DEFS_PREFIX.length) : null;
}

function visit(node: unknown, onRef: (name: string) => void): void {
  const name = refName(node);
  if (name !== null) onRef(name);
  if (Array.isArray(node)) node.forEach((item) => visit(item, onRef));
  else if (node && typeof node === 'object') Object.values(node).forEach((value) => visit(value, onRef));
}

function replaceRefs(node: unknown, replace: (name: string, node: JsonObject) => unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => replaceRefs(item, replace));
  if (!node || typeof node !== 'object') return node;
  const name = refName(node);
  if (name !== null) return replace(name, node as JsonObject);
  const object: JsonObject = {};
  for (const [key, value] of Object.entries(node)) object[key] = replaceRefs(value, replace);
  return object;
}

function optimizeDefs(schema: JsonObject): JsonObject {
  let defs = (schema.$defs ?? {}) as Record<string, unknown>;
  let body: JsonObject = { ...schema };
  delete body.$defs;
  if (Object.keys(defs).length === 0) return schema;

  // Inline until nothing changes: aliases, single uses and small definitions (never a self-reference).
  for (;;) {
    const uses = new Map<string, number>();
    const count = (name: string) => uses.set(name, (uses.get(name) ?? 0) + 1);
    visit(body, count);
    for (const def of Object.values(defs)) visit(def, count);
    const inlinable = new Set<string>();
    for (const [name, def] of Object.entries(defs)) {
      const selfReferencing = (() => {
        let found = false;
        visit(def, (ref) => (found ||= ref === name));
        return found;
      })();
      if (selfReferencing) continue;
      const used = uses.get(name) ?? 0;
      // Inline when n copies cost no more than n references plus the definition itself.
      const size = JSON.stringify(def).length;
      if (used <= 1 || refName(def) !== null || size * (used - 1) <= REF_COST * used + DEF_ENTRY_COST) inlinable.add(name);
    }
    if (inlinable.size === 0) break;
    const inline = (name: string, node: JsonObject): unknown => {
      if (!inlinable.has(name)) return node;
      const siblings = Object.fromEntries(Object.entries(node).filter(([key]) => key !== '$ref'));
      return { ...(replaceRefs(defs[name], inline) as JsonObject), ...siblings };
    };
    body = replaceRefs(body, inline) as JsonObject;
    const next: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(defs)) {
      if (!inlinable.has(name)) next[name] = replaceRefs(def, inline);
    }
    defs = next;
  }

  const remaining = Object.keys(defs);
  if (remaining.length === 0) return body;
  // Short, stable names: d0, d1… in order of first appearance.
  const renamed = new Map(remaining.map((name, index) => [name, `d${index}`]));
  const rename = (name: string, node: JsonObject) => ({ ...node, $ref: `${DEFS_PREFIX}${renamed.get(name) ?? name}` });
  const result = replaceRefs(body, rename) as JsonObject;
  result.$defs = Object.fromEntries(remaining.map((name) => [renamed.get(name), replaceRefs(defs[name], rename)]));
  return result;
}
