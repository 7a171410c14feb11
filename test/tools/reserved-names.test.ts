/**
 * Columns named like properties every JavaScript object has (`__proto__`, `constructor`, `toString`,
 * `hasOwnProperty`), through a real MCP client on SQLite, PostgreSQL and MySQL/MariaDB. Assigning
 * `object["__proto__"]` sets a prototype instead of a property, so such a column lost its value in rows and its lookup
 * argument in the parsed arguments (the lookup bound `{}`), and `__proto__` could be chosen as an aggregate output
 * name. The MCP SDK client's validator (ajv) reads `row.constructor` of a row that selected other columns and finds
 * the inherited function, so it refused such results. These fields get other names.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/** `constructor` is its own snake_case form: it gets a short hash, like a field name another column already has. */
const CONSTRUCTOR = /^constructor_[0-9a-f]{4}$/;

/** Every key of every object in a JSON value, own keys only. */
function keysIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(keysIn);
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => [key, ...keysIn(value)]);
}

describe.each(DIALECTS)('columns named like object properties on %s', (dialect) => {
  let db: TestDatabase;
  let conexor: Conexor;
  let client: Client;
  let tools: Tool[];
  /** The field name of the `constructor` column, read from the listing. */
  let ctor = '';
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const rowsAsStored = () => [
    { id: 1, proto: 'p1', [ctor]: 'c1', to_string: 't1', has_own_property: 10 },
    { id: 2, proto: 'p2', [ctor]: 'c2', to_string: 't1', has_own_property: 20 },
  ];
  const tool = (name: string) => tools.find((candidate) => candidate.name === name);

  async function ok(name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const result = await call(client, name, args);
    if (result.isError) throw new Error(`${name}(${JSON.stringify(args)}) failed: ${textOf(result)}`);
    return result.structuredContent as Record<string, unknown>;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cxres');
    await db.knex.raw(
      `CREATE TABLE protos (id INTEGER PRIMARY KEY, ${q('__proto__')} VARCHAR(20) NOT NULL, ${q('constructor')} VARCHAR(20) NOT NULL, ` +
        `${q('toString')} VARCHAR(20), ${q('hasOwnProperty')} INTEGER)`,
    );
    await db.knex.raw(`CREATE UNIQUE INDEX protos_proto_uq ON protos (${q('__proto__')})`);
    await db.knex.raw(`CREATE UNIQUE INDEX protos_constructor_uq ON protos (${q('constructor')})`);
    await db.knex.raw(`INSERT INTO protos VALUES (1, 'p1', 'c1', 't1', 10), (2, 'p2', 'c2', 't1', 20)`);
    conexor = await createConexor(db.knex);
    client = await connectClient(conexor.createServer());
    // The SDK client validates the listing, and later every structuredContent against the listed output schema.
    tools = (await client.listTools()).tools;
    ctor = tools.find((candidate) => candidate.name.startsWith('query_protos_by_constructor'))?.name.slice('query_protos_by_'.length) ?? '';
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  it('renames the fields, says which column each stands for, and lists no property named like an object member', () => {
    expect(ctor).toMatch(CONSTRUCTOR);
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['query_protos', 'query_protos_by_id', 'query_protos_by_proto', `query_protos_by_${ctor}`, 'count_protos', 'aggregate_protos'].sort(),
    );
    expect(Object.keys(tool('query_protos_by_proto')?.inputSchema.properties ?? {})).toEqual(['proto']);
    expect(tool('query_protos_by_proto')?.inputSchema.required).toEqual(['proto']);
    expect(Object.keys(tool(`query_protos_by_${ctor}`)?.inputSchema.properties ?? {})).toEqual([ctor]);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(keysIn(tools)).not.toContain(name);
    const description = tool('query_protos')?.description ?? '';
    // Each field is stated once with its type, and the column it stands for.
    for (const note of ['proto text (column "__proto__")', `${ctor} text (column "constructor")`, 'to_string text (column "toString")', 'has_own_property int (column "hasOwnProperty")']) {
      expect(description).toContain(note);
    }
    expect(description).toContain('id int (key)');
  });

  it('returns the value of every column in query results, also when some columns are selected', async () => {
    const { rows } = (await ok('query_protos')) as { rows: Record<string, unknown>[] };
    expect(rows.map((row) => Object.values(row))).toEqual([
      [1, 'p1', 'c1', 't1', 10],
      [2, 'p2', 'c2', 't1', 20],
    ]);
    expect(rows).toEqual(rowsAsStored());
    for (const row of rows) expect(Object.keys(row)).toEqual(['id', 'proto', ctor, 'to_string', 'has_own_property']);
    // The SDK client validates this partial row: ajv would read an absent `constructor` key as the inherited function.
    expect(await ok('query_protos', { columns: ['proto', 'to_string'], where: [{ field: 'proto', op: 'eq', value: 'p2' }] })).toEqual({
      rows: [{ proto: 'p2', to_string: 't1' }],
      truncated: false,
    });
    expect(await ok('query_protos', { columns: ['id'], order_by: [{ field: 'proto', direction: 'desc' }] })).toEqual({
      rows: [{ id: 2 }, { id: 1 }],
      truncated: false,
    });
    expect(await ok('count_protos', { where: [{ field: ctor, op: 'in', value: ['c1', 'cx'] }] })).toEqual({ count: 1 });
  });

  it('looks a row up by the __proto__ column and by the constructor column', async () => {
    expect(await ok('query_protos_by_proto', { proto: 'p2' })).toEqual({ row: rowsAsStored()[1] });
    expect(await ok('query_protos_by_proto', { proto: 'nope' })).toEqual({ row: null });
    expect(await ok(`query_protos_by_${ctor}`, { [ctor]: 'c1' })).toEqual({ row: rowsAsStored()[0] });
    expect(await ok('query_protos_by_id', { id: 1 })).toEqual({ row: rowsAsStored()[0] });
    // The column's real name is not an argument.
    for (const [name, args] of [
      ['query_protos_by_proto', '{"__proto__": "p1"}'],
      [`query_protos_by_${ctor}`, '{"constructor": "c1"}'],
    ] as const) {
      const result = await call(client, name, JSON.parse(args) as Record<string, unknown>);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(new RegExp(`^Invalid arguments for ${name}: `));
    }
  });

  it('keeps a caller argument named __proto__ in the audit trail (redacted), as any unknown argument', async () => {
    const events: AuditEvent[] = [];
    const audited = await createConexor(db.knex, { audit: { mode: 'sync', sinks: [functionSink((batch) => void events.push(...batch))] } });
    // The host API takes arguments as parsed JSON, where `__proto__` is an own key.
    const result = await audited.callTool('query_protos_by_proto', JSON.parse('{"proto": "p1", "__proto__": "p1"}') as Record<string, unknown>);
    expect(textOf(result)).toBe('Invalid arguments for query_protos_by_proto: arguments: unknown argument "__proto__"; allowed: proto.');
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]?.arguments)).toBe('{"proto":"p1","__proto__":"[redacted]"}');
  });

  it('groups by those fields and names outputs after them', async () => {
    expect(await ok('aggregate_protos', { group_by: ['proto'], metrics: [{ fn: 'sum', field: 'has_own_property' }] })).toEqual({
      rows: [
        { proto: 'p1', sum_has_own_property: 10 },
        { proto: 'p2', sum_has_own_property: 20 },
      ],
      truncated: false,
    });
    expect(await ok('aggregate_protos', { group_by: ['to_string'], metrics: [{ fn: 'count_distinct', field: ctor }] })).toEqual({
      rows: [{ to_string: 't1', [`count_distinct_${ctor}`]: 2 }],
      truncated: false,
    });
  });

  it('refuses __proto__ and constructor as aggregate output names, naming the argument', async () => {
    for (const name of ['__proto__', 'constructor']) {
      const result = await call(client, 'aggregate_protos', { metrics: [{ fn: 'count' }, { fn: 'count', as: name }] });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        `Invalid arguments for aggregate_protos: metrics[1].as: "${name}" is a property every JavaScript object has and cannot name an output; choose another name.`,
      );
    }
  });
});
