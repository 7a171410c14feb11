/**
 * One grammar (issue 10, part 5), through a real MCP client on every dialect, typed and generic tools:
 * `order_by` takes `field` or its alias `by` in query and aggregate tools; lookup arguments are spelled as the tool
 * name spells them, the field name accepted as an alias; enums sort in their declared order (PostgreSQL enum types,
 * MySQL/MariaDB ENUM, CHECK lists over text) with NULLs last; enums stored as text take contains/starts_with/ends_with;
 * a field that cannot be sorted is refused with the reason.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type AuditEvent, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

type Row = Record<string, unknown>;

describe.each(DIALECTS)('one grammar (%s)', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];
  const events: AuditEvent[] = [];
  let typed: Client;
  let generic: Client;

  async function clientWith(options: ConexorOptions = {}): Promise<Client> {
    const conexor = await createConexor(db.knex, options);
    const client = await connectClient(conexor.createServer());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_grammar');
    const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
    // `size`: an enum from a CHECK list over text on every dialect; `mood`: the dialect's own enum type (SQLite has
    // none: a CHECK list too). Neither declared order is alphabetical.
    const mood =
      dialect === 'postgresql' ? 'mood' : dialect === 'mysql' ? "ENUM('sad', 'ok', 'happy')" : "VARCHAR(10) CHECK (mood IN ('sad', 'ok', 'happy'))";
    if (dialect === 'postgresql') await db.knex.raw("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    await db.knex.raw(`CREATE TABLE items (
      ${q('ItemId')} INTEGER PRIMARY KEY,
      ${q('Name')} VARCHAR(20) NOT NULL,
      size VARCHAR(10) CHECK (size IN ('small', 'medium', 'large')),
      mood ${mood},
      payload ${dialect === 'postgresql' ? 'JSONB' : 'JSON'},
      qty INTEGER NOT NULL
    )`);
    await db.knex('items').insert([
      { ItemId: 1, Name: 'a', size: 'small', mood: 'sad', payload: '{"k":1}', qty: 1 },
      { ItemId: 2, Name: 'b', size: 'large', mood: 'happy', payload: '{"k":2}', qty: 2 },
      { ItemId: 3, Name: 'c', size: 'medium', mood: 'ok', payload: null, qty: 3 },
      { ItemId: 4, Name: 'd', size: null, mood: null, payload: null, qty: 4 },
      { ItemId: 5, Name: 'e', size: 'small', mood: 'happy', payload: null, qty: 5 },
    ]);
    const audit = { sinks: [{ name: 'memory', write: async (batch: readonly AuditEvent[]) => void events.push(...batch) }] };
    typed = await clientWith({ catalog: { mode: 'typed' }, audit });
    generic = await clientWith({ catalog: { mode: 'compact' } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await db?.destroy();
  });

  const structured = (result: CallToolResult) => {
    expect(result.isError, textOf(result)).toBeFalsy();
    return result.structuredContent as { rows?: Row[]; row?: Row | null };
  };
  /** Rows of the typed tool and of the generic one, which must agree. */
  async function rows(kind: 'query' | 'aggregate', args: Record<string, unknown>): Promise<Row[]> {
    const viaTyped = structured(await call(typed, `${kind}_items`, args)).rows ?? [];
    const viaGeneric = structured(await call(generic, kind, { table: 'items', ...args })).rows ?? [];
    expect(viaGeneric).toEqual(viaTyped);
    return viaTyped;
  }
  async function errors(kind: 'query' | 'aggregate', args: Record<string, unknown>): Promise<string> {
    const viaTyped = await call(typed, `${kind}_items`, args);
    const viaGeneric = await call(generic, kind, { table: 'items', ...args });
    expect(viaTyped.isError).toBe(true);
    expect(viaGeneric.isError).toBe(true);
    expect(textOf(viaGeneric).replace(/^Invalid arguments for \w+/, '')).toBe(textOf(viaTyped).replace(/^Invalid arguments for \w+/, ''));
    return textOf(viaTyped);
  }
  const column = (found: readonly Row[], name: string) => found.map((row) => row[name]);

  it('takes {field} and its alias {by} in query order_by, with the same rows', async () => {
    const byField = await rows('query', { columns: ['Name'], order_by: [{ field: 'qty', direction: 'desc' }] });
    expect(column(byField, 'Name')).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(await rows('query', { columns: ['Name'], order_by: [{ by: 'qty', direction: 'desc' }] })).toEqual(byField);
  });

  it('takes {field} and its alias {by} in aggregate order_by, naming group and metric outputs', async () => {
    const args = { group_by: ['size'], metrics: [{ fn: 'sum', field: 'qty', as: 'total' }] };
    const byField = await rows('aggregate', { ...args, order_by: [{ field: 'total', direction: 'desc' }] });
    expect(byField).toEqual([
      { size: 'small', total: 6 },
      { size: null, total: 4 },
      { size: 'medium', total: 3 },
      { size: 'large', total: 2 },
    ]);
    expect(await rows('aggregate', { ...args, order_by: [{ by: 'total', direction: 'desc' }] })).toEqual(byField);
    const byGroup = await rows('aggregate', { ...args, order_by: [{ field: 'size', direction: 'desc' }] });
    expect(await rows('aggregate', { ...args, order_by: [{ by: 'size', direction: 'desc' }] })).toEqual(byGroup);
    expect(await errors('aggregate', { ...args, order_by: [{ field: 'nope' }] })).toMatch(/order_by\[0\]\.field: "nope" names no metric or group; allowed: size, total/);
  });

  it('refuses an order_by entry with both field and by, or neither, naming the entry', async () => {
    for (const kind of ['query', 'aggregate'] as const) {
      expect(await errors(kind, { order_by: [{ field: 'qty', by: 'qty' }] })).toContain('order_by[0]: give "field" or its alias "by", not both');
      expect(await errors(kind, { order_by: [{ direction: 'asc' }] })).toMatch(/order_by\[0\]: expected \{field, direction/);
    }
  });

  it('lists the lookup argument as the tool name spells it, and takes the field name as an alias', async () => {
    const tool = (await typed.listTools()).tools.find((candidate) => candidate.name === 'query_items_by_item_id');
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(['item_id']);
    expect(tool?.inputSchema.required).toEqual(['item_id']);
    const bySnake = structured(await call(typed, 'query_items_by_item_id', { item_id: 3 })).row;
    expect(bySnake).toMatchObject({ ItemId: 3, Name: 'c' });
    expect(structured(await call(typed, 'query_items_by_item_id', { ItemId: 3 })).row).toEqual(bySnake);
    const both = await call(typed, 'query_items_by_item_id', { item_id: 3, ItemId: 3 });
    expect(both.isError).toBe(true);
    expect(textOf(both)).toBe('Invalid arguments for query_items_by_item_id: item_id: give item_id or its alias ItemId, not both.');
    const wrong = await call(typed, 'query_items_by_item_id', { ItemId: 'three' });
    expect(textOf(wrong)).toMatch(/^Invalid arguments for query_items_by_item_id: item_id: expected an integer/);
    const unknown = await call(typed, 'query_items_by_item_id', { id: 3 });
    expect(textOf(unknown)).toContain('allowed: item_id');
    // The audit keeps both spellings' values as the visible key values they are.
    const lookups = events.filter((event) => event.tool === 'query_items_by_item_id' && event.outcome === 'ok');
    expect(lookups.map((event) => event.arguments)).toEqual([{ item_id: 3 }, { ItemId: 3 }]);
  });

  it('sorts enums in their declared order, asc and desc, NULLs last (query)', async () => {
    const sizes = async (direction: string) => column(await rows('query', { columns: ['Name', 'size'], order_by: [{ field: 'size', direction }] }), 'size');
    expect(await sizes('asc')).toEqual(['small', 'small', 'medium', 'large', null]);
    expect(await sizes('desc')).toEqual(['large', 'medium', 'small', 'small', null]);
    const moods = async (direction: string) => column(await rows('query', { columns: ['mood'], order_by: [{ by: 'mood', direction }] }), 'mood');
    expect(await moods('asc')).toEqual(['sad', 'ok', 'happy', 'happy', null]);
    expect(await moods('desc')).toEqual(['happy', 'happy', 'ok', 'sad', null]);
  });

  it('sorts enum group outputs in their declared order (aggregate)', async () => {
    expect(column(await rows('aggregate', { group_by: ['size'] }), 'size')).toEqual(['small', 'medium', 'large', null]);
    expect(column(await rows('aggregate', { group_by: ['mood'], order_by: [{ field: 'mood', direction: 'desc' }] }), 'mood')).toEqual(['happy', 'ok', 'sad', null]);
  });

  it('matches text on an enum stored as text (a CHECK list), not on an enum type', async () => {
    expect(column(await rows('query', { columns: ['Name'], where: [{ field: 'size', op: 'contains', value: 'EDI' }] }), 'Name')).toEqual(['c']);
    expect(column(await rows('query', { columns: ['Name'], where: [{ field: 'size', op: 'ends_with', value: 'all' }] }), 'Name')).toEqual(['a', 'e']);
    // Equality still takes only the declared values.
    expect(await errors('query', { where: [{ field: 'size', op: 'eq', value: 'huge' }] })).toMatch(/where\[0\]\.value: .*one of "small", "medium", "large"/);
    const moodContains = { where: [{ field: 'mood', op: 'starts_with', value: 'ha' }] };
    if (dialect === 'sqlite') expect(column(await rows('query', { columns: ['Name'], ...moodContains }), 'Name')).toEqual(['b', 'e']);
    else expect(await errors('query', moodContains)).toMatch(/where\[0\]\.op: "starts_with" is not allowed on mood; allowed: eq, neq, in, not_in, is_null, is_not_null/);
  });

  it('refuses order_by on a JSON field, saying why and what sorts', async () => {
    const message = await errors('query', { order_by: [{ field: 'payload' }] });
    expect(message).toContain('order_by[0].field: payload is json and cannot be sorted; sortable fields: ItemId, Name, size, mood, qty');
    expect(await errors('query', { order_by: [{ by: 'nope' }] })).toContain('order_by[0].by: "nope" is not a field; sortable fields: ItemId');
  });
});
