import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexorServer, introspect } from '../../src/index.js';
import type { ColumnModel, DatabaseModel } from '../../src/introspect/model.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/** CHECK constraints that list a column's values, read from each catalog and enforced by the generated tools. */

// The same DDL on every dialect: column- and table-level constraints, an OR of equalities, and ones that list nothing.
const TICKET = `CREATE TABLE ticket (
  id integer PRIMARY KEY,
  status varchar(10) NOT NULL CHECK (status IN ('open', 'paid', 'it''s')),
  priority varchar(10) CHECK (priority = 'low' OR priority = 'high'),
  kind text,
  score integer CHECK (score IN (1, 2, 3)),
  note varchar(20) CHECK (note <> 'x'),
  label varchar(20) CHECK (label IN ('a', 'b') AND label <> 'c'),
  doc json,
  CONSTRAINT kind_values CHECK (kind IN ('bug', 'feature') OR kind IS NULL)
)`;

const ROWS = [
  { id: 1, status: 'open', priority: 'low', kind: 'bug' },
  { id: 2, status: 'paid', priority: null, kind: null },
  { id: 3, status: "it's", priority: 'high', kind: 'feature' },
  { id: 4, status: 'open', priority: 'high', kind: 'feature' },
];

describe.each(DIALECTS)('CHECK value lists on %s', (dialect) => {
  let db: TestDatabase;
  let model: DatabaseModel;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_checks');
    await db.knex.raw(TICKET);
    await db.knex('ticket').insert(ROWS);
    model = await introspect(db.knex);
    client = await connectClient(await createConexorServer(db.knex));
  });
  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  function column(name: string): ColumnModel {
    const found = model.tables.find((table) => table.name === 'ticket')?.columns.find((c) => c.name === name);
    if (!found) throw new Error(`column ${name} not in the model`);
    return found;
  }

  it('reads IN lists and ORs of equalities on text columns as enum values', () => {
    expect(column('status')).toMatchObject({ type: 'enum', enumValues: ['open', 'paid', "it's"], nullable: false });
    // A nullable column lists the literals only; NULL is told by `nullable`.
    expect(column('priority')).toMatchObject({ type: 'enum', enumValues: ['low', 'high'], nullable: true });
    expect(column('kind')).toMatchObject({ type: 'enum', enumValues: ['bug', 'feature'] });
    // The native type is still what the catalog says.
    expect(column('status').nativeType).toMatch(/char/i);
  });

  it('ignores constraints that are not a list of string values', () => {
    expect(column('score')).toMatchObject({ type: 'integer', enumValues: null });
    expect(column('note')).toMatchObject({ type: 'string', enumValues: null });
    expect(column('label')).toMatchObject({ type: 'string', enumValues: null });
    // MariaDB's JSON is a LONGTEXT with a json_valid CHECK: still read as JSON.
    expect(column('doc')).toMatchObject({ type: 'json', enumValues: null });
  });

  it('states the values in the tool description, refuses others naming them, and filters on them over MCP', async () => {
    const listed = (await client.listTools()).tools.find((tool) => tool.name === 'query_ticket');
    expect(listed?.description).toContain("status enum open|paid|it's, priority enum low|high, kind enum bug|feature");
    const wrong = await call(client, 'count_ticket', { where: [{ field: 'status', op: 'eq', value: 'closed' }] });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/^Invalid arguments for count_ticket: where\[0\]\.value: /);
    expect(textOf(wrong)).toContain(`one of "open", "paid", "it's"`);
    const result = await call(client, 'query_ticket', {
      where: [{ field: 'status', op: 'in', value: ['open', "it's"] }],
      columns: ['id', 'status', 'priority'],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      rows: [
        { id: 1, status: 'open', priority: 'low' },
        { id: 3, status: "it's", priority: 'high' },
        { id: 4, status: 'open', priority: 'high' },
      ],
    });
    const high = await call(client, 'count_ticket', { where: [{ field: 'priority', op: 'eq', value: 'high' }] });
    expect(high.structuredContent).toEqual({ count: 2 });
    const unset = await call(client, 'count_ticket', { where: [{ field: 'priority', op: 'is_null' }] });
    expect(unset.structuredContent).toEqual({ count: 1 });
    const grouped = await call(client, 'aggregate_ticket', { group_by: ['kind'], metrics: [{ fn: 'count' }] });
    expect(grouped.isError, textOf(grouped)).toBeFalsy();
  });

  it('refuses a value outside the list with an error naming the allowed values', async () => {
    const result = await call(client, 'query_ticket', { where: [{ field: 'status', op: 'eq', value: 'closed' }] });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain('status');
    expect(text).toContain(`one of "open", "paid", "it's"`);
    const count = await call(client, 'count_ticket', { where: [{ field: 'kind', op: 'in', value: ['bug', 'chore'] }] });
    expect(count.isError).toBe(true);
    expect(textOf(count)).toContain('one of "bug", "feature"');
  });
});
