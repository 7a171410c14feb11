import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type Dialect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';
import { snapshot } from '../support/snapshot.js';
import { ERROR_LEAKS, diffRows, show, tableRows, type PlainRow } from '../support/writes.js';

/**
 * Property-based fuzzing of the write tools through a real MCP client, on every dialect: the typed insert, update
 * and delete tools of `items` (by key and filtered) and the generic `insert` / `update` / `delete`, with
 * (a) arbitrary JSON for `rows`, `set`, `where`, `max_affected`, the key and the table, and (b) arguments of the
 * right shape holding arbitrary strings, numbers, booleans, dates and nulls. The caller is tenant 1 of two.
 *
 * Properties: every call answers with a well-formed tool result (never a protocol error, never a hang); an error
 * leaves the database byte-identical (every table's schema and rows hashed before and after); a success changes
 * only tenant 1's rows, at most `max_affected` of them (one by key), inserts exactly the rows it was given with the
 * caller's tenant, and reports as affected what it changed.
 *
 * Reproduce a failure with the seed fast-check prints, or CONEXOR_FUZZ_SEED=<seed>; CONEXOR_FUZZ_SCALE=<n>
 * multiplies the runs.
 */

const BASE_SEEDS: Record<Dialect, number> = { sqlite: 0x5eed_0101, postgresql: 0x5eed_0102, mysql: 0x5eed_0103 };
const SEED_OVERRIDE = process.env.CONEXOR_FUZZ_SEED ? Number(process.env.CONEXOR_FUZZ_SEED) : undefined;
const SCALE = Math.max(1, Number(process.env.CONEXOR_FUZZ_SCALE ?? 1) || 1);
/** Runs per tool and property: modest, so a dialect stays well under a minute on a loaded 2-core machine. */
const RUNS = { json: 15 * SCALE, shaped: 50 * SCALE } as const;
const MAX_AFFECTED = 20;
const CALL_TIMEOUT_MS = 15_000;

const FIELDS = ['label', 'qty', 'price', 'flag', 'day', 'code', 'owner_id'] as const;
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'contains', 'starts_with', 'ends_with', 'is_null', 'is_not_null'] as const;

const OWNERS = [
  { id: 1, tenant_id: 1, name: 'own-1' },
  { id: 2, tenant_id: 2, name: 'other-2' },
  { id: 3, tenant_id: 1, name: 'own-3' },
];
const ITEMS = [
  { id: 1, tenant_id: 1, label: 'apple', qty: 1, price: '1.50', flag: true, day: '2024-01-01', code: 'A1', owner_id: 1 },
  { id: 2, tenant_id: 2, label: 'apple', qty: 2, price: '2.50', flag: false, day: '2024-01-02', code: 'B2', owner_id: 2 },
  { id: 3, tenant_id: 1, label: 'pear', qty: null, price: null, flag: null, day: null, code: null, owner_id: null },
  { id: 4, tenant_id: 2, label: 'pear', qty: 4, price: '4.00', flag: true, day: '2024-02-01', code: 'B4', owner_id: 2 },
  { id: 5, tenant_id: 1, label: 'plum', qty: 5, price: '0.99', flag: false, day: '2023-12-31', code: 'A5', owner_id: 3 },
  { id: 6, tenant_id: 1, label: 'fig', qty: 6, price: '6.00', flag: true, day: '2024-03-01', code: 'A6', owner_id: 1 },
  { id: 7, tenant_id: 2, label: 'fig', qty: 7, price: '7.00', flag: false, day: '2024-03-02', code: 'B7', owner_id: 2 },
];

// Values of every kind a model might send.
const scalar = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: -5, max: 12 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
  fc.constantFrom('2024-01-01', '2024-02-30', '1.50', '99999999999.999', '-0', '1e400', 'A1', 'apple', "' OR 1=1 --", '', ' '),
);
const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

type Field = (typeof FIELDS)[number] | 'id';
const validDay = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10));
/** Values a column can take (and, near its bounds, some it cannot): most calls should get past validation. */
const TYPED: Record<Field, fc.Arbitrary<unknown>> = {
  id: fc.integer({ min: 0, max: 12 }),
  label: fc.oneof(fc.constantFrom('apple', 'pear', 'plum', 'fig', 'kiwi'), fc.string({ maxLength: 55 })),
  qty: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.integer(), fc.maxSafeInteger(), fc.constant(null)),
  price: fc.oneof(fc.integer({ min: -99_999, max: 99_999 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constantFrom('12.50', '99999999.99', '100000000.00', '-0.01'), fc.constant(null)),
  flag: fc.oneof(fc.boolean(), fc.constant(null)),
  day: fc.oneof(validDay, fc.constantFrom('2024-02-30', '0000-01-01', '2024-1-1'), fc.constant(null)),
  code: fc.oneof(fc.constantFrom('A1', 'B2', 'A5', 'Z9', 'new'), fc.string({ maxLength: 25 }), fc.constant(null)),
  owner_id: fc.constantFrom(1, 2, 3, 99, null),
};
const fieldValue = (field: Field) => fc.oneof({ weight: 15, arbitrary: TYPED[field] }, { weight: 1, arbitrary: scalar });
/** A comparison value: `null` only goes with is_null / is_not_null. */
const compared = (field: Field) => fieldValue(field).filter((candidate) => candidate !== null);
const settable = fc.constantFrom(...FIELDS);
/** `{field: value}` of settable fields (sometimes an unknown or forbidden one). */
const values = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .uniqueArray(settable, { minLength: 1, maxLength: 4 })
      .chain((fields) => fc.tuple(...fields.map((field) => fieldValue(field))).map((list) => Object.fromEntries(fields.map((field, index) => [field, list[index]])))),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(settable, fc.constantFrom('id', 'tenant_id', 'owner.name'), fc.string({ maxLength: 12 })), value, { maxKeys: 4 }) },
);
/** Rows to insert: a label (required) and some other fields, or anything. */
const row = fc.oneof({ weight: 6, arbitrary: fc.tuple(fieldValue('label'), values).map(([label, rest]) => ({ ...rest, label })) }, { weight: 1, arbitrary: values });
const filterField = fc.constantFrom<Field>('id', ...FIELDS);
const typedCondition = filterField.chain((field) =>
  fc.oneof(
    fc.record({ field: fc.constant(field), op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: compared(field) }),
    fc.record({ field: fc.constant(field), op: fc.constantFrom('in', 'not_in'), value: fc.array(compared(field), { minLength: 1, maxLength: 3 }) }),
    fc.record({ field: fc.constant(field), op: fc.constantFrom('is_null', 'is_not_null') }),
    fc.record({ field: fc.constant(field), op: fc.constant('between'), value: fc.tuple(compared(field), compared(field)) }),
  ),
);
const anyCondition = fc.record(
  { field: fc.oneof(filterField, fc.constantFrom('tenant_id', 'owner.name', 'owner.tenant_id'), fc.string({ maxLength: 12 })), op: fc.constantFrom(...OPS), value },
  { requiredKeys: ['field', 'op'] },
);
const hasOwner = fc.record(
  {
    has: fc.constantFrom('owner', 'x'),
    where: fc.array(fc.record({ field: fc.constantFrom('name', 'id'), op: fc.constantFrom('eq', 'neq', 'gte'), value: fc.oneof(fc.constantFrom('own-1', 'other-2'), fc.integer({ min: 0, max: 4 })) }), { maxLength: 2 }),
  },
  { requiredKeys: ['has'] },
);
const condition = fc.oneof(
  { weight: 12, arbitrary: typedCondition },
  { weight: 1, arbitrary: anyCondition },
  { weight: 1, arbitrary: fc.record({ or: fc.array(typedCondition, { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ field: fc.constant('owner.name'), op: fc.constantFrom('eq', 'neq', 'starts_with'), value: fc.constantFrom('own-1', 'other-2', 'own', 'o') }) },
  { weight: 1, arbitrary: hasOwner },
);
const where = fc.array(condition, { minLength: 1, maxLength: 3 });
const maxAffected = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: MAX_AFFECTED }) }, { weight: 1, arbitrary: scalar }, { weight: 1, arbitrary: fc.integer({ min: -3, max: MAX_AFFECTED + 3 }) });
const key = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: scalar });
const table = fc.oneof({ weight: 8, arbitrary: fc.constant('items') }, { weight: 1, arbitrary: fc.constantFrom('owners', 'ITEMS', 'items ', 'nope') }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });

/** `null` mostly; a value one time in ten. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

type Kind = 'insert' | 'update_by_key' | 'update' | 'delete_by_key' | 'delete';

/** Arguments of the right shape, with arbitrary contents; sometimes an argument is dropped or one is added. */
function shaped(kind: Kind, generic: boolean): fc.Arbitrary<Record<string, unknown>> {
  const base: Record<Kind, fc.Arbitrary<Record<string, unknown>>> = {
    insert: fc.record({ rows: fc.array(row, { minLength: 1, maxLength: 4 }) }),
    update_by_key: fc.record({ id: key, set: values }),
    update: fc.record({ where, set: values, max_affected: maxAffected }),
    delete_by_key: fc.record({ id: key }),
    delete: fc.record({ where, max_affected: maxAffected }),
  };
  const withTable = generic ? base[kind].chain((args) => table.map((name) => ({ table: name, ...args }))) : base[kind];
  return fc.tuple(withTable, rarely(fc.constantFrom('rows', 'set', 'where', 'max_affected', 'id', 'table')), rarely(fc.tuple(fc.string({ maxLength: 10 }), value))).map(([args, drop, extra]) => {
    const copy: Record<string, unknown> = { ...args };
    if (drop) delete copy[drop];
    if (extra) copy[extra[0]] = extra[1];
    return copy;
  });
}

/** Arbitrary JSON under the argument names the tools know (and a few they do not). */
const arbitraryArgs = fc.dictionary(fc.constantFrom('rows', 'set', 'where', 'max_affected', 'id', 'table', 'key', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

describe.each(DIALECTS)('write fuzzing on %s', (dialect) => {
  let db: TestDatabase;
  let typed: Conexor;
  let compact: Conexor;
  let client: Client;
  let generic: Client;
  const stats = { calls: 0, ok: 0, errors: 0, changed: 0 };

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wfuzz');
    await db.knex.schema.createTable('owners', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.string('name', 50).notNullable();
    });
    await db.knex.schema.createTable('items', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.string('label', 50).notNullable();
      t.integer('qty');
      t.decimal('price', 10, 2);
      t.boolean('flag');
      t.date('day');
      t.string('code', 20).unique();
      t.integer('owner_id').unsigned().references('id').inTable('owners');
    });
    await reseed();
    const options = {
      logger: pino({ level: 'silent' }),
      audit: false as const,
      // Only items takes writes: owners is read (and referenced) only, so a success can only change items.
      writes: { tables: ['items'], maxAffected: MAX_AFFECTED, maxInsertRows: 4 },
      scope: { columns: ['tenant_id'], values: () => ({ tenant_id: 1 }) },
    };
    typed = await createConexor(db.knex, options);
    compact = await createConexor(db.knex, { ...options, catalog: { mode: 'compact' } });
    client = await connectClient(typed.createServer());
    generic = await connectClient(compact.createServer());
  });

  afterAll(async () => {
    console.log(`[write fuzz ${dialect}] calls=${stats.calls} ok=${stats.ok} errors=${stats.errors} calls that changed rows=${stats.changed}`);
    await client?.close();
    await generic?.close();
    await typed?.close();
    await compact?.close();
    await db?.destroy();
  });

  async function reseed(): Promise<void> {
    await db.knex('items').delete();
    await db.knex('owners').delete();
    await db.knex('owners').insert(OWNERS);
    await db.knex('items').insert(ITEMS);
    if (dialect === 'postgresql') {
      for (const name of ['owners', 'items']) await db.knex.raw(`SELECT setval(pg_get_serial_sequence('${name}', 'id'), 1000)`);
    }
  }

  /** One call: a well-formed tool result within the hang guard, whatever the arguments. */
  async function send(on: Client, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    stats.calls += 1;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${tool} did not answer within ${CALL_TIMEOUT_MS} ms: ${show(args)}`)), CALL_TIMEOUT_MS);
    });
    try {
      const result = (await Promise.race([on.callTool({ name: tool, arguments: args }), deadline])) as CallToolResult;
      expect(Array.isArray(result.content) && result.content[0]?.type === 'text', `${tool}: malformed result`).toBe(true);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The property for one call of `kind`: errors change nothing; successes stay within tenant 1 and their bounds. */
  async function check(on: Client, tool: string, kind: Kind, args: Record<string, unknown>): Promise<void> {
    const items = await tableRows(db.knex, 'items');
    if (items.filter((row) => Number(row.tenant_id) === 1).length < 3 || items.length > 80) await reseed();
    const before = await snapshot(db);
    const itemsBefore = await tableRows(db.knex, 'items');
    const ownersBefore = await tableRows(db.knex, 'owners');
    const result = await send(on, tool, args);
    const text = textOf(result);
    if (result.isError) {
      stats.errors += 1;
      const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      for (const leak of ERROR_LEAKS) expect(unquoted, `${tool} ${show(args)}: error text leaks ${String(leak)}: ${text.slice(0, 300)}`).not.toMatch(leak);
      expect(await snapshot(db), `${tool} ${show(args)} failed (${text.slice(0, 120)}) but changed the database`).toEqual(before);
      return;
    }
    stats.ok += 1;
    const affected = (result.structuredContent as { affected?: unknown }).affected;
    expect(typeof affected, `${tool}: ${text.slice(0, 200)}`).toBe('number');
    const itemsAfter = await tableRows(db.knex, 'items');
    expect(await tableRows(db.knex, 'owners'), `${tool} ${show(args)} changed owners`).toEqual(ownersBefore);
    const diff = diffRows(itemsBefore, itemsAfter);
    const old = new Map(itemsBefore.map((row) => [String(row.id), row]));
    const now = new Map(itemsAfter.map((row) => [String(row.id), row]));
    // Tenant 2's rows: exactly as before.
    expect(itemsAfter.filter((row) => Number(row.tenant_id) === 2), `${tool} ${show(args)} reached tenant 2`).toEqual(itemsBefore.filter((row) => Number(row.tenant_id) === 2));
    for (const id of [...diff.changed, ...diff.removed]) expect(Number(old.get(id)?.tenant_id), `${tool} ${show(args)} reached row ${id}`).toBe(1);
    for (const id of [...diff.changed, ...diff.added]) expect(Number(now.get(id)?.tenant_id), `${tool} ${show(args)} moved row ${id}`).toBe(1);
    const touched = diff.added.length + diff.removed.length + diff.changed.length;
    if (touched > 0) stats.changed += 1;
    const bound = kind.endsWith('by_key') ? 1 : kind === 'insert' ? (args.rows as unknown[]).length : (args.max_affected as number);
    expect(affected as number, `${tool} ${show(args)}`).toBeLessThanOrEqual(bound);
    if (kind === 'insert') {
      expect({ removed: diff.removed, changed: diff.changed, added: diff.added.length }).toEqual({ removed: [], changed: [], added: affected });
      expect(affected).toBe((args.rows as unknown[]).length);
    } else if (kind.startsWith('delete')) {
      expect({ added: diff.added, changed: diff.changed, removed: diff.removed.length }).toEqual({ added: [], changed: [], removed: affected });
    } else {
      // An update may set a row to what it held: it counts as affected without a visible change.
      expect(diff.added).toEqual([]);
      expect(diff.removed).toEqual([]);
      expect(diff.changed.length).toBeLessThanOrEqual(affected as number);
    }
  }

  const TOOLS: readonly { tool: string; kind: Kind; generic: boolean }[] = [
    { tool: 'insert_items', kind: 'insert', generic: false },
    { tool: 'update_items_by_id', kind: 'update_by_key', generic: false },
    { tool: 'update_items', kind: 'update', generic: false },
    { tool: 'delete_items_by_id', kind: 'delete_by_key', generic: false },
    { tool: 'delete_items', kind: 'delete', generic: false },
    { tool: 'insert', kind: 'insert', generic: true },
    { tool: 'update', kind: 'update', generic: true },
    { tool: 'delete', kind: 'delete', generic: true },
  ];

  it('lists the tools the fuzzer calls', () => {
    const names = [...typed.tools.map((tool) => tool.name), ...compact.tools.map((tool) => tool.name)];
    for (const { tool } of TOOLS) expect(names).toContain(tool);
  });

  TOOLS.forEach(({ tool, kind, generic: isGeneric }, index) => {
    const seed = SEED_OVERRIDE ?? BASE_SEEDS[dialect] + index * 16;
    it(`${tool}: arbitrary JSON arguments and well-shaped arguments with arbitrary values`, async () => {
      const on = isGeneric ? generic : client;
      // Arbitrary JSON: almost always refused; whatever happens, the property holds.
      await fc.assert(
        fc.asyncProperty(arbitraryArgs, async (args) => {
          await check(on, tool, kind, args);
        }),
        { numRuns: RUNS.json, seed, endOnFailure: true },
      );
      await fc.assert(
        fc.asyncProperty(shaped(kind, isGeneric), async (args) => {
          await check(on, tool, kind, args);
        }),
        { numRuns: RUNS.shaped, seed: seed + 1, endOnFailure: true },
      );
    });
  });

  it('names a missing argument as required (zod said "expected array, received undefined")', async () => {
    expect(textOf(await send(client, 'update_items', {}))).toBe(
      'Invalid arguments for update_items: where: required; set: required; max_affected: required: the most rows this call may change.',
    );
    expect(textOf(await send(generic, 'insert', { table: 'items' }))).toBe('Invalid arguments for insert: rows: required.');
  });

  it('still answers a plain write afterwards, and tenant 2 is as seeded', async () => {
    const result = await send(client, 'update_items_by_id', { id: 1, set: { label: 'final' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const rows: PlainRow[] = await tableRows(db.knex, 'items');
    const seeded = ITEMS.filter((row) => row.tenant_id === 2).map((row) => row.id);
    expect(rows.filter((row) => Number(row.tenant_id) === 2).map((row) => Number(row.id))).toEqual(seeded);
  });
});
