/**
 * The catalog fixtures (the SaaS schema and 1,000 generated tables) build on every dialect and conexor compiles
 * them. Assertions are on introspection, policy and data, not on the tool list, whose shape the catalog modes
 * decide; the token budget tests measure the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { createConexor, type Conexor } from '../../src/index.js';
import { estimateTokens } from '../../src/catalog/budget.js';
import type { TableModel } from '../../src/introspect/model.js';
import { call, connectClient, textOf } from '../support/mcp.js';
import { countTokens } from '../support/tokens.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { createGeneratedTables, generatedForeignKey, generatedTableName } from '../support/schemas/generated.js';
import { SAAS_PARTITIONED, SAAS_ROWS, SAAS_TABLES, SAAS_VIEWS, createSaasSchema } from '../support/schemas/saas.js';

const GENERATED_TABLES = 1000;
const GENERATED_COLUMNS = 10;

/**
 * The default listing fits the budget: at most 10k o200k tokens and 128 tools, generic tools plus typed tools, every
 * description and the instructions under 2 KB; conexor's estimate is never more than 5% below the real count (for the
 * whole listing and for every tool), and two compilations list the same bytes.
 */
async function expectWithinBudget(conexor: Conexor, again: () => Promise<Conexor>): Promise<Client> {
  const tools: readonly Tool[] = conexor.tools;
  const listing = JSON.stringify({ tools });
  expect(countTokens(listing)).toBeLessThanOrEqual(10_000);
  expect(tools.length).toBeLessThanOrEqual(128);
  expect(tools.slice(0, 4).map((tool) => tool.name)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
  expect(tools.length).toBeGreaterThan(4);
  expect(estimateTokens(listing)).toBeGreaterThanOrEqual(0.95 * countTokens(listing));
  for (const tool of tools) {
    const json = JSON.stringify(tool);
    expect(estimateTokens(json), tool.name).toBeGreaterThanOrEqual(0.95 * countTokens(json));
    expect(Buffer.byteLength(tool.description ?? ''), tool.name).toBeLessThanOrEqual(2_048);
  }
  const twin = await again();
  expect(JSON.stringify(twin.tools)).toBe(JSON.stringify(tools));
  await twin.close();
  const client = await connectClient(conexor.createServer());
  expect(Buffer.byteLength(client.getInstructions() ?? '')).toBeLessThanOrEqual(2_048);
  return client;
}

/** `search_tables` pages through every exposed table. */
async function searchAll(client: Client): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; ; ) {
    const page = await call(client, 'search_tables', { offset, limit: 200 });
    expect(page.isError, textOf(page)).toBeFalsy();
    const content = page.structuredContent as { tables: { table: string }[]; next_offset?: number };
    names.push(...content.tables.map((entry) => entry.table));
    if (content.next_offset === undefined) return names;
    offset = content.next_offset;
  }
}

function byName(conexor: Conexor): Map<string, TableModel> {
  return new Map(conexor.model.tables.map((table) => [table.name, table]));
}

function table(tables: ReadonlyMap<string, TableModel>, name: string): TableModel {
  const found = tables.get(name);
  if (!found) throw new Error(`no table ${name}`);
  return found;
}

describe.each(DIALECTS)('catalog fixtures on %s', (dialect) => {
  describe('SaaS schema', () => {
    let db: TestDatabase;
    let conexor: Conexor;
    beforeAll(async () => {
      db = await createTestDatabase(dialect, 'cx_saas');
      await createSaasSchema(db.knex, dialect);
      conexor = await createConexor(db.knex, { audit: false });
    });
    afterAll(async () => {
      await conexor?.close();
      await db?.destroy();
    });

    it('has 150 tables and 10 views, each once, and exposes them all', () => {
      expect(SAAS_TABLES).toHaveLength(150);
      expect(SAAS_VIEWS).toHaveLength(10);
      const tables = conexor.model.tables.filter((model) => model.kind === 'table').map((model) => model.name);
      const views = conexor.model.tables.filter((model) => model.kind === 'view').map((model) => model.name);
      expect(tables.sort()).toEqual([...SAAS_TABLES].sort());
      expect(views.sort()).toEqual([...SAAS_VIEWS].sort());
      expect(conexor.exposed.tables).toHaveLength(160);
      expect(conexor.tools.length).toBeGreaterThan(0);
    });

    it('lists the partitioned table once, without its partitions', async () => {
      const names = conexor.model.tables.map((model) => model.name);
      expect(names.filter((name) => name === SAAS_PARTITIONED.table)).toHaveLength(1);
      for (const partition of SAAS_PARTITIONED.partitions) expect(names).not.toContain(partition);
      if (dialect !== 'postgresql') return;
      // The rows really are spread over the partitions.
      const result = await db.knex.raw(`SELECT tableoid::regclass::text AS part, COUNT(*) AS n FROM ${SAAS_PARTITIONED.table} GROUP BY 1 ORDER BY 1`);
      const parts = (result.rows as { part: string; n: string }[]).map(({ part }) => part.replace(/^.*\./, '').replace(/"/g, ''));
      expect(parts).toEqual([...SAAS_PARTITIONED.partitions]);
    });

    it('has the shapes real schemas have', () => {
      const tables = byName(conexor);
      const widths = [...tables.values()].map((model) => model.columns.length).sort((a, b) => b - a);
      expect(widths[0]).toBe(80);
      expect(widths.slice(1, 6).every((width) => width >= 28)).toBe(true);
      expect(table(tables, 'user_roles').primaryKey).toEqual(['user_id', 'role_id']);
      expect(table(tables, 'exchange_rates').primaryKey).toEqual(['base_currency', 'quote_currency', 'effective_date']);
      expect(table(tables, 'ab_test_assignments').foreignKeys).toContainEqual(
        expect.objectContaining({ columns: ['variant_id', 'test_id'], referencedTable: 'ab_test_variants', referencedColumns: ['id', 'test_id'] }),
      );
      expect(table(tables, 'users').foreignKeys).toContainEqual(expect.objectContaining({ columns: ['manager_id'], referencedTable: 'users' }));

      const status = table(tables, 'invoices').columns.find((column) => column.name === 'status');
      const payload = table(tables, 'webhook_events').columns.find((column) => column.name === 'payload');
      const key = table(tables, 'api_keys').columns.find((column) => column.name === 'id');
      if (dialect === 'sqlite') {
        // Enums are TEXT with a CHECK (read as the enum's values), JSON and UUIDs are TEXT: strings to conexor.
        expect([status?.type, payload?.type, key?.type]).toEqual(['enum', 'string', 'string']);
        expect(status?.enumValues).toEqual(['draft', 'open', 'paid', 'void', 'uncollectible']);
      } else {
        expect(status?.type).toBe('enum');
        expect(status?.enumValues).toEqual(['draft', 'open', 'paid', 'void', 'uncollectible']);
        expect(payload?.type).toBe('json');
        expect(key?.type).toBe(dialect === 'postgresql' ? 'uuid' : 'string');
      }
    });

    it('has table and column comments where the database keeps them', () => {
      const tables = byName(conexor);
      const commented = [...tables.values()].filter((model) => model.kind === 'table' && model.comment);
      const mrr = table(tables, 'accounts').columns.find((column) => column.name === 'mrr');
      if (dialect === 'sqlite') {
        expect(commented).toHaveLength(0);
      } else {
        expect(commented).toHaveLength(150);
        expect(mrr?.comment).toBe('Monthly recurring revenue in the account currency');
      }
    });

    it('lists generic tools plus typed tools within 10k tokens, reaching every table', async () => {
      const client = await expectWithinBudget(conexor, () => createConexor(db.knex, { audit: false }));
      try {
        const names = await searchAll(client);
        expect(names).toHaveLength(160);
        // Core tables rank first; activity tables (logs, deliveries, events) last.
        const typed = new Set(conexor.tools.filter((tool) => tool.name.startsWith('count_')).map((tool) => tool.name.slice('count_'.length)));
        expect(typed.has('accounts')).toBe(true);
        expect(typed.has('webhook_deliveries')).toBe(false);
        // A wide table's description stays whole in search_tables, though cut in its tool.
        const wide = await call(client, 'search_tables', { pattern: 'accounts', detail: 'columns', limit: 1 });
        expect((wide.structuredContent as { tables: { table: string }[] }).tables.map((entry) => entry.table)).toEqual(['accounts']);
        if (dialect !== 'sqlite') expect(textOf(wide)).toContain('Monthly recurring revenue');
        const settings = await call(client, 'search_tables', { pattern: 'organization_settings', detail: 'columns', limit: 1 });
        const visible = conexor.exposed.tables.find((entry) => entry.table.name === 'organization_settings')?.columns ?? [];
        expect(visible.length).toBeGreaterThan(70);
        for (const column of visible) expect(textOf(settings)).toMatch(new RegExp(`[:,] ${column.name} `));
        for (const name of ['accounts', 'invoices', 'webhook_deliveries', 'open_invoices', SAAS_PARTITIONED.table]) {
          const counted = await call(client, 'count', { table: name });
          expect(counted.isError, `${name}: ${textOf(counted)}`).toBeFalsy();
        }
        const [row] = await db.knex('invoices').count({ n: '*' });
        expect((await call(client, 'count', { table: 'invoices' })).structuredContent).toEqual({ count: Number(row?.n) });
      } finally {
        await client.close();
      }
    });

    it('has the seeded rows', async () => {
      for (const [name, rows] of Object.entries(SAAS_ROWS)) {
        const [row] = await db.knex(name).count({ n: '*' });
        expect([name, Number(row?.n)]).toEqual([name, rows]);
      }
      const [paid] = await db.knex('invoices').where({ status: 'paid' }).count({ n: '*' });
      const [payments] = await db.knex('payments').where({ status: 'succeeded' }).count({ n: '*' });
      expect(Number(payments?.n)).toBe(Number(paid?.n));
      const [open] = await db.knex('open_invoices').count({ n: '*' });
      expect(Number(open?.n)).toBe(5);
    });
  });

  describe(`${GENERATED_TABLES} generated tables`, () => {
    let db: TestDatabase;
    let conexor: Conexor;
    beforeAll(async () => {
      db = await createTestDatabase(dialect, 'cx_gen');
      await createGeneratedTables(db.knex, dialect, { tables: GENERATED_TABLES, columns: GENERATED_COLUMNS });
      conexor = await createConexor(db.knex, { audit: false });
    });
    afterAll(async () => {
      await conexor?.close();
      await db?.destroy();
    });

    it('has every table, with its columns and foreign key', () => {
      const tables = conexor.model.tables;
      expect(tables).toHaveLength(GENERATED_TABLES);
      expect(conexor.exposed.tables).toHaveLength(GENERATED_TABLES);
      expect(tables.every((model) => model.kind === 'table' && model.columns.length === GENERATED_COLUMNS)).toBe(true);
      const byTableName = new Map(tables.map((model) => [model.name, model]));
      for (const index of [0, 2, 5, 998, 999]) {
        const model = byTableName.get(generatedTableName(index, GENERATED_TABLES));
        const target = generatedForeignKey(index);
        expect(model?.foreignKeys.map((key) => key.referencedTable)).toEqual(target === null ? [] : [generatedTableName(target, GENERATED_TABLES)]);
      }
      expect(tables.filter((model) => model.foreignKeys.length === 1)).toHaveLength(333);
      expect(new Set(tables.flatMap((model) => model.columns.map((column) => column.type)))).toEqual(
        new Set(['integer', 'string', 'datetime', 'decimal', dialect === 'mysql' ? 'integer' : 'boolean']),
      );
      expect(conexor.tools.length).toBeGreaterThan(0);
    });

    it('lists generic tools plus typed tools within 10k tokens, reaching every table', async () => {
      const client = await expectWithinBudget(conexor, () => createConexor(db.knex, { audit: false }));
      try {
        expect(await searchAll(client)).toHaveLength(GENERATED_TABLES);
        for (const index of [0, 499, 999]) {
          const counted = await call(client, 'count', { table: generatedTableName(index, GENERATED_TABLES) });
          expect(counted.isError, textOf(counted)).toBeFalsy();
        }
      } finally {
        await client.close();
      }
    });

    it('never lists more than 128 tools, whatever the budget', async () => {
      const generous = await createConexor(db.knex, { audit: false, catalog: { budgetTokens: 1_000_000 } });
      try {
        expect(generous.tools.length).toBeLessThanOrEqual(128);
        expect(generous.tools.length).toBeGreaterThan(100);
      } finally {
        await generous.close();
      }
    });
  });
});
