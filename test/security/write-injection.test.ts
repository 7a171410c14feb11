import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type Conexor, type Dialect } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { INJECTION_PAYLOADS } from '../support/injection-payloads.js';
import { connectClient, textOf } from '../support/mcp.js';
import { snapshot, type Snapshot } from '../support/snapshot.js';
import { callTool, diffRows, show, tableRows, type PlainRow } from '../support/writes.js';

/**
 * The SQL-injection corpus through every slot of the write tools, on every dialect, through a real MCP client:
 * values in `rows[i].field` (typed and generic insert) and in `set` (by key, filtered, generic), text key arguments
 * of by-key tools (and text keys on insert), `where` values of filtered updates and deletes, the integer key, field
 * names as keys of `rows` and `set` objects and of the call itself, the generic tools' `table`, and `max_affected`.
 *
 * Each call must either be refused with an invalid-arguments error naming the argument, or store the payload
 * literally — read back through Knex and compared exactly — and reach exactly the rows it names: every other row
 * of the table is compared before and after. After each payload the schema (tables, columns) is unchanged and the
 * `canary` table, which takes no writes, holds what it held.
 */

const EXTRA = ["Robert'); DROP TABLE canary;--", "x'); UPDATE canary SET secret = 'pwned'; --", "\\'; DELETE FROM canary WHERE ''=' /*!50000 x*/"];
const PAYLOADS: readonly string[] = [...INJECTION_PAYLOADS, ...EXTRA];

/** Longest label code (the primary key of `labels`): payloads longer than it cannot be stored as a key. */
const CODE_LENGTH = 255;
const NOTES = [
  { id: 1, title: 'alpha', body: 'first', qty: 1 },
  { id: 2, title: 'beta', body: null, qty: 2 },
  { id: 3, title: "O'Brien", body: 'third', qty: null },
];
const LABELS = [
  { code: 'k1', label: 'one' },
  { code: 'k2', label: 'two' },
];
const CANARY = [{ id: 1, secret: 'CANARY-write-injection' }];

/** How the dialect's `=` compares text: exactly, or case-, accent- and trailing-space-insensitively (MySQL `_ci`). */
function equalText(dialect: Dialect, stored: unknown, value: string): boolean {
  if (typeof stored !== 'string') return false;
  return dialect === 'mysql' ? fold(stored).trimEnd() === fold(value).trimEnd() : stored === value;
}
const fold = (text: string) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

describe.each(DIALECTS)('write injection corpus on %s', (dialect) => {
  let db: TestDatabase;
  let typed: Conexor;
  let compact: Conexor;
  let client: Client;
  let generic: Client;
  let schema: Pick<Snapshot, 'tables' | 'columns'>;
  const counts = { calls: 0, stored: 0, refused: 0 };

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_winj');
    await db.knex.schema.createTable('notes', (t) => {
      t.increments('id');
      t.string('title', 1000);
      t.text('body');
      t.integer('qty');
    });
    await db.knex.schema.createTable('labels', (t) => {
      t.string('code', CODE_LENGTH).primary();
      t.string('label', 1000);
    });
    await db.knex.schema.createTable('canary', (t) => {
      t.increments('id');
      t.string('secret', 100).notNullable();
    });
    await db.knex('notes').insert(NOTES);
    await db.knex('labels').insert(LABELS);
    await db.knex('canary').insert(CANARY);
    if (dialect === 'postgresql') await db.knex.raw("SELECT setval(pg_get_serial_sequence('notes', 'id'), 100)");
    const options = { logger: pino({ level: 'silent' }), audit: false as const, writes: { tables: ['notes', 'labels'] } };
    typed = await createConexor(db.knex, options);
    compact = await createConexor(db.knex, { ...options, catalog: { mode: 'compact' } });
    client = await connectClient(typed.createServer());
    generic = await connectClient(compact.createServer());
    const { tables, columns } = await snapshot(db);
    schema = { tables, columns };
  });

  afterAll(async () => {
    console.log(`[write injection ${dialect}] payloads=${PAYLOADS.length} calls=${counts.calls} stored literally=${counts.stored} refused=${counts.refused}`);
    await client?.close();
    await generic?.close();
    await typed?.close();
    await compact?.close();
    await db?.destroy();
  });

  async function send(on: Client, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    counts.calls += 1;
    const result = await callTool(on, tool, args);
    if (result.isError) expect(textOf(result).length).toBeLessThan(2_000);
    return result;
  }

  /** Refused with an invalid-arguments error of `tool` that names `argument`; nothing changed in `table`. */
  async function refused(on: Client, tool: string, args: Record<string, unknown>, argument: string, table = 'notes', key = 'id'): Promise<void> {
    const before = await tableRows(db.knex, table, key);
    const result = await send(on, tool, args);
    const text = textOf(result);
    expect(result.isError, `${tool} ${show(args)} should be refused, got ${text.slice(0, 200)}`).toBe(true);
    expect(text.startsWith(`Invalid arguments for ${tool}: `), `${tool} ${show(args)}: ${text}`).toBe(true);
    expect(text, `${tool} ${show(args)} should name ${argument}`).toContain(argument);
    expect(await tableRows(db.knex, table, key), `${tool} ${show(args)} changed ${table}`).toEqual(before);
    counts.refused += 1;
  }

  /** A successful write that changed exactly the rows `expected` (keys), and no other row of `table`. */
  async function changedExactly(on: Client, tool: string, args: Record<string, unknown>, expected: (before: PlainRow[]) => string[], table = 'notes', key = 'id'): Promise<CallToolResult> {
    const before = await tableRows(db.knex, table, key);
    const want = expected(before);
    const result = await send(on, tool, args);
    expect(result.isError, `${tool} ${show(args)}: ${textOf(result)}`).toBeFalsy();
    const after = await tableRows(db.knex, table, key);
    const diff = diffRows(before, after, key);
    expect([...diff.added, ...diff.removed, ...diff.changed].sort(), `${tool} ${show(args)} reached other rows`).toEqual([...want].sort());
    expect((result.structuredContent as { affected: number }).affected).toBe(want.length);
    return result;
  }

  async function note(id: number): Promise<PlainRow | undefined> {
    return (await tableRows(db.knex, 'notes')).find((row) => Number(row.id) === id);
  }

  /** After a payload: the schema and the canary as they were. */
  async function untouched(payload: string): Promise<void> {
    const { tables, columns } = await snapshot(db);
    expect({ tables, columns }, `schema changed after ${show(payload)}`).toEqual(schema);
    expect(await tableRows(db.knex, 'canary'), `canary changed after ${show(payload)}`).toEqual(CANARY);
  }

  const hasNul = (payload: string) => payload.includes('\u0000');

  it(`has ${PAYLOADS.length} distinct payloads and lists the write tools of notes and labels only`, () => {
    expect(new Set(PAYLOADS).size).toBe(PAYLOADS.length);
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(80);
    const names = typed.tools.map((tool) => tool.name);
    for (const name of ['insert_notes', 'update_notes_by_id', 'update_notes', 'delete_notes_by_id', 'delete_notes', 'insert_labels', 'update_labels_by_code', 'delete_labels_by_code']) {
      expect(names).toContain(name);
    }
    expect(names.filter((name) => /^(insert|update|delete)_canary/.test(name))).toEqual([]);
    expect(compact.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['insert', 'update', 'delete']));
  });

  it('stores every payload literally as a value (insert rows, set, where values), reaching only the rows it names', async () => {
    for (const payload of PAYLOADS) {
      if (hasNul(payload)) {
        // PostgreSQL text cannot hold NUL, and SQLite's LIKE would stop at it: refused everywhere, on every slot.
        await refused(client, 'insert_notes', { rows: [{ title: payload }] }, 'rows[0].title');
        await refused(generic, 'insert', { table: 'notes', rows: [{ body: payload }] }, 'rows[0].body');
        await refused(client, 'update_notes_by_id', { id: 1, set: { body: payload } }, 'set.body');
        await refused(client, 'update_notes', { where: [{ field: 'title', op: 'eq', value: payload }], set: { qty: 9 }, max_affected: 5 }, 'where[0]');
        await refused(client, 'delete_notes', { where: [{ field: 'body', op: 'in', value: ['x', payload] }], max_affected: 5 }, 'where[0]');
        await untouched(payload);
        continue;
      }
      // Typed and generic insert: one new row each, holding the payload exactly; no other row touched.
      const inserted = [
        ...(await insertOne(client, 'insert_notes', { rows: [{ title: payload, body: payload, qty: 7 }] }, payload)),
        ...(await insertOne(generic, 'insert', { table: 'notes', rows: [{ title: payload, body: payload }] }, payload)),
      ];
      // By key: a row of the test's own gets the payload in set.
      const targetId = await insertTarget();
      await changedExactly(client, 'update_notes_by_id', { id: targetId, set: { title: payload, body: payload } }, () => [String(targetId)]);
      const stored = await note(targetId);
      expect(stored?.title).toBe(payload);
      expect(stored?.body).toBe(payload);
      counts.stored += 1;
      // Filtered update and delete with the payload as the where value: exactly the rows holding it.
      const holding = (field: string) => (rows: PlainRow[]) => rows.filter((row) => equalText(dialect, row[field], payload)).map((row) => String(row.id));
      await changedExactly(client, 'update_notes', { where: [{ field: 'title', op: 'eq', value: payload }], set: { qty: 42 }, max_affected: 5 }, holding('title'));
      await changedExactly(generic, 'update', { table: 'notes', where: [{ field: 'body', op: 'in', value: [payload, 'no such body'] }], set: { qty: 43 }, max_affected: 5 }, holding('body'));
      for (const id of [...inserted, targetId]) expect((await note(id))?.body, `row ${id}`).toBe(payload);
      await changedExactly(client, 'delete_notes', { where: [{ field: 'title', op: 'eq', value: payload }], max_affected: 5 }, holding('title'));
      expect(await tableRows(db.knex, 'notes'), `after ${show(payload)}`).toEqual(NOTES);
      await untouched(payload);
    }
  });

  /** An insert of one row: exactly one row added, holding the payload in title and body; returns its id. */
  async function insertOne(on: Client, tool: string, args: Record<string, unknown>, payload: string): Promise<number[]> {
    const before = await tableRows(db.knex, 'notes');
    const result = await send(on, tool, args);
    expect(result.isError, `${tool} ${show(args)}: ${textOf(result)}`).toBeFalsy();
    const diff = diffRows(before, await tableRows(db.knex, 'notes'));
    expect({ removed: diff.removed, changed: diff.changed, added: diff.added.length }).toEqual({ removed: [], changed: [], added: 1 });
    const ids = (result.structuredContent as { rows: PlainRow[] }).rows.map((row) => Number(row.id));
    expect(ids.map(String)).toEqual(diff.added);
    for (const id of ids) {
      const stored = await note(id);
      expect(stored?.title, `${show(payload)} stored as title`).toBe(payload);
      expect(stored?.body, `${show(payload)} stored as body`).toBe(payload);
    }
    counts.stored += ids.length;
    return ids;
  }

  /** A row the test inserts itself, through Knex; its id. */
  async function insertTarget(): Promise<number> {
    const row = { title: 'target', body: 'target' };
    const result: unknown[] = dialect === 'postgresql' ? await db.knex('notes').insert(row).returning('id') : await db.knex('notes').insert(row);
    const first = result[0];
    return Number(first !== null && typeof first === 'object' ? (first as { id: unknown }).id : first);
  }

  it('takes every payload literally as a text key (insert, update and delete by key)', async () => {
    for (const payload of PAYLOADS) {
      const storable = !hasNul(payload) && payload.length <= CODE_LENGTH;
      if (!storable) {
        // A key that cannot exist: refused, or found nowhere; either way nothing changes.
        for (const [tool, args] of [
          ['update_labels_by_code', { code: payload, set: { label: 'x' } }],
          ['delete_labels_by_code', { code: payload }],
        ] as const) {
          const before = await tableRows(db.knex, 'labels', 'code');
          const result = await send(client, tool, args);
          if (result.isError) {
            expect(textOf(result)).toMatch(new RegExp(`^Invalid arguments for ${tool}: code`));
            counts.refused += 1;
          } else {
            expect((result.structuredContent as { affected: number }).affected).toBe(0);
          }
          expect(await tableRows(db.knex, 'labels', 'code')).toEqual(before);
        }
        const insert = await send(client, 'insert_labels', { rows: [{ code: payload, label: 'x' }] });
        expect(insert.isError, `insert_labels ${show(payload)}`).toBe(true);
        expect(await tableRows(db.knex, 'labels', 'code')).toEqual(LABELS);
        await untouched(payload);
        continue;
      }
      const inserted = await send(client, 'insert_labels', { rows: [{ code: payload, label: payload }] });
      expect(inserted.isError, `insert_labels ${show(payload)}: ${textOf(inserted)}`).toBeFalsy();
      let rows = await tableRows(db.knex, 'labels', 'code');
      expect(rows.filter((row) => row.code === payload)).toEqual([{ code: payload, label: payload }]);
      expect(rows.filter((row) => row.code !== payload)).toEqual(LABELS);
      const updated = await send(client, 'update_labels_by_code', { code: payload, set: { label: `${payload}!` } });
      expect((updated.structuredContent as { affected: number }).affected, textOf(updated)).toBe(1);
      rows = await tableRows(db.knex, 'labels', 'code');
      expect(rows.filter((row) => row.code === payload)).toEqual([{ code: payload, label: `${payload}!` }]);
      expect(rows.filter((row) => row.code !== payload)).toEqual(LABELS);
      const deleted = await send(client, 'delete_labels_by_code', { code: payload });
      expect((deleted.structuredContent as { affected: number }).affected, textOf(deleted)).toBe(1);
      expect(await tableRows(db.knex, 'labels', 'code')).toEqual(LABELS);
      counts.stored += 1;
      await untouched(payload);
    }
  });

  it('refuses every payload as an integer key, a non-text where value, a field name, an argument name, a table and max_affected', async () => {
    const where = [{ field: 'id', op: 'eq', value: 1 }];
    for (const payload of PAYLOADS) {
      await refused(client, 'update_notes_by_id', { id: payload, set: { qty: 1 } }, 'id');
      await refused(client, 'delete_notes_by_id', { id: payload }, 'id');
      await refused(client, 'update_notes', { where: [{ field: 'qty', op: 'eq', value: payload }], set: { qty: 1 }, max_affected: 5 }, 'where[0]');
      await refused(client, 'delete_notes', { where: [{ field: 'id', op: 'in', value: [payload] }], max_affected: 5 }, 'where[0]');
      await refused(client, 'insert_notes', { rows: [{ qty: payload }] }, 'rows[0].qty');
      await refused(client, 'update_notes_by_id', { id: 1, set: { qty: payload } }, 'set.qty');
      // Field names as keys of rows and set objects, and as argument names: the whole call is refused.
      await refused(client, 'insert_notes', { rows: [{ title: 'ok', [payload]: 'x' }] }, 'unknown argument');
      await refused(generic, 'insert', { table: 'notes', rows: [{ title: 'ok' }, { [payload]: 1 }] }, 'rows[1]');
      await refused(client, 'update_notes_by_id', { id: 1, set: { title: 'changed', [payload]: 'x' } }, 'unknown argument');
      await refused(client, 'update_notes', { where, set: { [payload]: 'x' }, max_affected: 1 }, 'set');
      await refused(generic, 'update', { table: 'notes', where, set: { title: 'changed', [payload]: null }, max_affected: 1 }, 'set');
      await refused(client, 'update_notes', { where: [{ field: payload, op: 'eq', value: 'alpha' }], set: { qty: 1 }, max_affected: 5 }, 'where[0].field');
      await refused(client, 'delete_notes', { where: [{ field: 'title', op: payload, value: 'alpha' }], max_affected: 5 }, 'where[0].op');
      await refused(client, 'update_labels_by_code', { code: 'k1', set: { label: 'x' }, [payload]: 1 }, 'unknown argument', 'labels', 'code');
      await refused(client, 'delete_notes', { where, max_affected: 1, [payload]: true }, 'unknown argument');
      // The generic tools' table.
      await refused(generic, 'insert', { table: payload, rows: [{ title: 'x' }] }, 'table');
      await refused(generic, 'update', { table: payload, where, set: { title: 'x' }, max_affected: 1 }, 'table');
      await refused(generic, 'delete', { table: payload, where, max_affected: 1 }, 'table');
      // max_affected.
      await refused(client, 'update_notes', { where, set: { qty: 5 }, max_affected: payload }, 'max_affected');
      await refused(client, 'delete_notes', { where, max_affected: payload }, 'max_affected');
      await refused(generic, 'delete', { table: 'notes', where, max_affected: payload }, 'max_affected');
      await untouched(payload);
    }
    // No write tool of the canary, whatever the table argument says.
    for (const table of ['canary', 'CANARY', ` canary`, 'main.canary', `${db.schema}.canary`]) {
      await refused(generic, 'delete', { table, where, max_affected: 1 }, 'table', 'canary');
      await refused(generic, 'update', { table, where, set: { secret: 'x' }, max_affected: 1 }, 'table', 'canary');
    }
    expect(await tableRows(db.knex, 'notes')).toEqual(NOTES);
    expect(await tableRows(db.knex, 'labels', 'code')).toEqual(LABELS);
  });
});
