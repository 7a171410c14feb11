import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createConexor, createConexorServer, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient } from '../support/mcp.js';

/** Table and column descriptions: catalog comments and the host's `describe` option, as a real MCP client sees them. */

interface FieldSummary {
  name: string;
  description?: string;
}
interface TableSummary {
  table: string;
  schema: string;
  description?: string;
  fields: FieldSummary[];
}

describe.each(DIALECTS)('descriptions on %s', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];
  // SQLite keeps no comments; the servers do.
  const comments = dialect !== 'sqlite';

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_describe');
    const { knex } = db;
    await knex.schema.createTable('customer', (t) => {
      t.increments('id');
      t.string('name', 100).comment('Full name');
      t.integer('active').comment('Catalog says: active flag');
      t.string('password_hash', 100);
      t.comment('Catalog says: customers');
    });
    await knex.schema.createTable('rental', (t) => {
      t.increments('id');
      t.integer('customer_id').unsigned().references('id').inTable('customer');
    });
    // A table named like the schema, with a column named like a table: `<schema>.rental` could mean either.
    await knex.schema.createTable(db.schema, (t) => {
      t.increments('id');
      t.string('rental', 20);
    });
    await knex('customer').insert([{ name: 'Ada', active: 1, password_hash: 'x' }]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await db?.destroy();
  });

  async function serve(options: ConexorOptions = {}): Promise<{ tool(name: string): Tool; tables: TableSummary[] }> {
    const client = await connectClient(await createConexorServer(db.knex, options));
    clients.push(client);
    const { tools } = await client.listTools();
    const read = await client.readResource({ uri: 'conexor://schema' });
    const content = read.contents[0];
    const document = JSON.parse(content && 'text' in content ? content.text : '{}') as { tables: TableSummary[] };
    return {
      tool(name) {
        const found = tools.find((tool) => tool.name === name);
        if (!found) throw new Error(`no tool ${name}`);
        return found;
      },
      tables: document.tables,
    };
  }

  function summary(tables: readonly TableSummary[], name: string): TableSummary {
    const found = tables.find((table) => table.table === name);
    if (!found) throw new Error(`no table ${name} in the schema resource`);
    return found;
  }

  function field(table: TableSummary, name: string): FieldSummary | undefined {
    return table.fields.find((entry) => entry.name === name);
  }

  it('shows catalog comments in tool descriptions and in the schema resource', async () => {
    const served = await serve();
    const customer = summary(served.tables, 'customer');
    const description = served.tool('query_customer').description ?? '';
    if (comments) {
      expect(description).toContain('Catalog says: customers.');
      expect(description).toContain('name text (Full name)');
      expect(customer.description).toBe('Catalog says: customers');
      expect(field(customer, 'name')?.description).toBe('Full name');
      expect(field(customer, 'active')?.description).toBe('Catalog says: active flag');
    } else {
      expect(description).not.toContain('Catalog says');
      expect(customer.description).toBeUndefined();
      expect(field(customer, 'name')?.description).toBeUndefined();
    }
    expect(field(customer, 'id')?.description).toBeUndefined();
  });

  it('shows the host descriptions instead of the comments, keeping the comments of other columns', async () => {
    const served = await serve({
      describe: {
        customer: 'People who rent films from the store.',
        'customer.active': '1 = active, 0 = closed',
        'rental.customer_id': 'Who rented',
      },
    });
    const query = served.tool('query_customer').description ?? '';
    expect(query).toContain('People who rent films from the store. ');
    expect(query).toContain('active int (1 = active, 0 = closed)');
    expect(query).not.toContain('Catalog says');
    if (comments) expect(query).toContain('name text (Full name)');
    expect(served.tool('query_rental').description).toMatch(/customer_id int \(Who rented/);
    const customer = summary(served.tables, 'customer');
    expect(customer.description).toBe('People who rent films from the store.');
    expect(field(customer, 'active')?.description).toBe('1 = active, 0 = closed');
    expect(field(customer, 'name')?.description).toBe(comments ? 'Full name' : undefined);
    expect(field(summary(served.tables, 'rental'), 'customer_id')?.description).toBe('Who rented');
  });

  it('lets a schema-qualified key win over the plain one, and reads `a.b` as table.column first', async () => {
    const served = await serve({
      describe: {
        customer: 'plain',
        [`${db.schema}.customer`]: 'qualified',
        'customer.name': 'plain name',
        [`${db.schema}.customer.name`]: 'qualified name',
        // Table `<schema>` has a column `rental`, so this describes that column, not the table `rental`.
        [`${db.schema}.rental`]: 'column of the table named like the schema',
      },
    });
    const customer = summary(served.tables, 'customer');
    expect(customer.description).toBe('qualified');
    expect(field(customer, 'name')?.description).toBe('qualified name');
    expect(summary(served.tables, 'rental').description).toBeUndefined();
    expect(field(summary(served.tables, db.schema), 'rental')?.description).toBe('column of the table named like the schema');
    // Without such a column, the same form names a table of a schema.
    const table = await serve({ describe: { [`${db.schema}.customer`]: 'by schema' } });
    expect(summary(table.tables, 'customer').description).toBe('by schema');
  });

  it('describes a table whose own name has a dot by its whole name', async () => {
    // MySQL refuses dots in table names.
    if (dialect === 'mysql') return;
    // Raw SQL: Knex would read the dot as schema.table.
    await db.knex.raw('CREATE TABLE "odd.name" (id integer PRIMARY KEY)');
    try {
      const served = await serve({ describe: { 'odd.name': 'a dotted table' } });
      expect(summary(served.tables, 'odd.name').description).toBe('a dotted table');
    } finally {
      await db.knex.raw('DROP TABLE "odd.name"');
    }
  });

  it('keeps a long description whole in the schema resource and cuts it in tool descriptions', async () => {
    const long = `${'Rentals are '.repeat(40)}end`;
    const served = await serve({ describe: { rental: long } });
    expect(summary(served.tables, 'rental').description).toBe(long);
    const query = served.tool('query_rental').description ?? '';
    expect(query).toContain('Rentals are Rentals are');
    expect(query).toContain('…');
    expect(query).not.toContain('end');
  });

  it.each<[string, ConexorOptions, RegExp]>([
    ['an unknown table', { describe: { custmer: 'x' } }, /describe\["custmer"\] names table "custmer", which does not exist; did you mean "customer"\?/],
    ['an unknown column', { describe: { 'customer.activ': 'x' } }, /describe\["customer\.activ"\] names column "activ" of table "customer", which does not exist; did you mean "active"\?/],
    ['a secret-looking column', { describe: { 'customer.password_hash': 'x' } }, /names column "password_hash" of table "customer", which policy hides/],
    ['a hidden column', { hiddenColumns: { customer: ['name'] }, describe: { 'customer.name': 'x' } }, /names column "name" of table "customer", which policy hides/],
    ['an excluded table', { tables: { exclude: ['rental'] }, describe: { rental: 'x' } }, /describe\["rental"\] names table "rental", which policy does not expose/],
    ['a column of an excluded table', { tables: { exclude: ['rental'] }, describe: { 'rental.id': 'x' } }, /names table "rental", which policy does not expose/],
    ['an unknown schema', { describe: { 'nowhere.customer': 'x' } }, /describe\["nowhere\.customer"\] names neither a column "customer" of a table "nowhere" nor a table "customer" of a schema "nowhere"/],
    ['an unknown schema.table.column', { describe: { 'nowhere.customer.name': 'x' } }, /names table "nowhere\.customer", which does not exist/],
    ['too many dots', { describe: { 'a.b.c.d': 'x' } }, /describe\["a\.b\.c\.d"\] is not a table, schema\.table, table\.column or schema\.table\.column name/],
    ['a description over 1000 characters', { describe: { customer: 'x'.repeat(1001) } }, /describe\.customer: a description is at most 1000 characters/],
    ['an empty description', { describe: { customer: '' } }, /describe\.customer: a description must not be empty/],
  ])('refuses %s at creation', async (_, options, message) => {
    const created = createConexor(db.knex, options);
    await expect(created).rejects.toThrow(ConfigurationError);
    await expect(created).rejects.toThrow(message);
  });

  it('accepts a description of exactly 1000 characters', async () => {
    const conexor = await createConexor(db.knex, { describe: { customer: 'y'.repeat(1000) } });
    expect(conexor.exposed.tables.find((table) => table.table.name === 'customer')?.description).toHaveLength(1000);
    // The model keeps the catalog's own comment; descriptions live on the exposed tables only.
    expect(conexor.model.tables.find((table) => table.name === 'customer')?.comment).toBe(comments ? 'Catalog says: customers' : null);
    await conexor.close();
  });
});
