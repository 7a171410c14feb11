import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createConexor, createConexorServer, type ConexorOptions } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

/** Policy options through a real MCP client: what is exposed, what is hidden, row caps and configuration errors. */

const USERS = 12;
const quiet = pino({ level: 'silent' });

const USERS_TOOLS = ['query_users', 'query_users_by_id', 'query_users_by_email', 'count_users', 'aggregate_users'];
const ORDERS_TOOLS = ['query_orders', 'query_orders_by_id', 'count_orders', 'aggregate_orders'];
const AUDIT_LOG_TOOLS = ['query_audit_log', 'query_audit_log_by_id', 'count_audit_log', 'aggregate_audit_log'];
const AUDIT_TRAIL_TOOLS = ['query_audit_trail', 'query_audit_trail_by_id', 'count_audit_trail', 'aggregate_audit_trail'];
const VIEW_TOOLS = ['query_user_names', 'count_user_names', 'aggregate_user_names'];
const ALL_TOOLS = [...USERS_TOOLS, ...ORDERS_TOOLS, ...AUDIT_LOG_TOOLS, ...AUDIT_TRAIL_TOOLS, ...VIEW_TOOLS];

const ssnOf = (id: number) => `900-00-${String(id).padStart(4, '0')}`;
const hashOf = (id: number) => `pbkdf2$hash-${id}`;
const keyOf = (id: number) => `key-${id}-abcdef`;
const saltOf = (id: number) => `salt-${id}-xyz`;

interface Served {
  readonly client: Client;
  readonly tools: Tool[];
  readonly names: string[];
  /** The whole tools/list result and the server instructions, as JSON text. */
  readonly listing: string;
  tool(name: string): Tool;
}

describe.each(DIALECTS)('policy on %s', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_policy');
    const { knex } = db;
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email', 100).notNullable().unique();
      t.string('name', 100);
      t.string('password_hash', 100);
      t.string('api_key', 100).unique();
      t.string('salt', 100);
      t.string('ssn', 20);
      t.integer('tenant_id');
    });
    await knex.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('user_id').unsigned().references('id').inTable('users');
      t.decimal('total', 10, 2);
      t.integer('tenant_id');
    });
    await knex.schema.createTable('audit_log', (t) => {
      t.increments('id');
      t.string('action', 50);
      t.integer('user_id');
    });
    await knex.schema.createTable('audit_trail', (t) => {
      t.increments('id');
      t.string('what', 50);
    });
    await knex.raw('CREATE VIEW user_names AS SELECT id, name, email FROM users');
    await knex('users').insert(
      Array.from({ length: USERS }, (_, index) => {
        const id = index + 1;
        return {
          email: `user${id}@example.com`,
          name: `User ${id}`,
          password_hash: hashOf(id),
          api_key: keyOf(id),
          salt: saltOf(id),
          ssn: ssnOf(id),
          tenant_id: 100 + (id % 3),
        };
      }),
    );
    await knex('orders').insert([
      { user_id: 1, total: '10.50', tenant_id: 101 },
      { user_id: 2, total: '20.00', tenant_id: 102 },
      { user_id: 1, total: '5.25', tenant_id: 101 },
    ]);
    await knex('audit_log').insert([{ action: 'login', user_id: 1 }]);
    await knex('audit_trail').insert([{ what: 'boot' }]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await db?.destroy();
  });

  async function serve(options: ConexorOptions = {}): Promise<Served> {
    const client = await connectClient(await createConexorServer(db.knex, { logger: quiet, ...options }));
    clients.push(client);
    const listed = await client.listTools();
    const tools = listed.tools;
    return {
      client,
      tools,
      names: tools.map((tool) => tool.name).sort(),
      listing: JSON.stringify({ listed, instructions: client.getInstructions() ?? '' }),
      tool(name) {
        const found = tools.find((tool) => tool.name === name);
        if (!found) throw new Error(`no tool ${name}; tools: ${tools.map((tool) => tool.name).join(', ')}`);
        return found;
      },
    };
  }

  async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await call(client, name, args);
    expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    return result;
  }

  async function refused(client: Client, name: string, args: Record<string, unknown>, argument: string): Promise<string> {
    const result = await call(client, name, args);
    const text = textOf(result);
    expect(result.isError, `${name} ${JSON.stringify(args)} should be refused, got: ${text}`).toBe(true);
    expect(text.startsWith(`Invalid arguments for ${name}: `), text).toBe(true);
    expect(text).toContain(argument);
    return text;
  }

  /** The fields an error message lists as allowed: `allowed: a, b, c` (order_by: `sortable fields: …`) or zod's `expected one of "a"|"b"`. */
  function allowedIn(message: string): string[] {
    // group_by lists its fields, then the bucket form.
    const listed = /(?:allowed|sortable fields): ([^;]*?)(?:, or \{field, bucket\} on a date field)?\.?(?:;|$)/.exec(message);
    if (listed?.[1]) return listed[1].split(', ');
    const options = /expected one of ((?:"[^"]*"\|?)+)/.exec(message);
    if (options?.[1]) return options[1].split('|').map((option) => JSON.parse(option) as string);
    throw new Error(`no allowed list in: ${message}`);
  }

  type Rows = { rows: Record<string, unknown>[]; truncated: boolean; next_offset?: number };
  const rowsOf = (result: CallToolResult) => result.structuredContent as Rows;
  const fieldsOf = (result: CallToolResult) => Object.keys(rowsOf(result).rows[0] ?? {}).sort();

  it('exposes every table and view with its keys and links by default', async () => {
    const served = await serve();
    expect(served.names).toEqual([...ALL_TOOLS].sort());
    expect(served.tool('query_orders').description).toContain('Relations: user (user_id → users).');
    expect(served.tool('query_users').description).toContain('Relations: orders (orders rows).');
    // Without relations the foreign key is described as a link.
    const plain = await serve({ relations: false });
    expect(plain.tool('query_orders').description).toContain('Links: user_id → users.id.');
    expect(plain.listing).not.toContain('Relations');
    const users = await ok(served.client, 'query_users', { order_by: [{ field: 'id' }] });
    expect(fieldsOf(users)).toEqual(['email', 'id', 'name', 'ssn', 'tenant_id']);
    expect(rowsOf(users).rows).toHaveLength(USERS);
    expect(rowsOf(users).truncated).toBe(false);
    const view = await ok(served.client, 'query_user_names', { where: [{ field: 'id', op: 'eq', value: 3 }] });
    expect(rowsOf(view).rows).toEqual([{ id: 3, name: 'User 3', email: 'user3@example.com' }]);
  });

  it('selects tables with tables.include / tables.exclude, by name and glob, exclude winning', async () => {
    expect((await serve({ tables: { include: ['users'] } })).names).toEqual([...USERS_TOOLS].sort());
    expect((await serve({ tables: { include: [`${db.schema}.users`] } })).names).toEqual([...USERS_TOOLS].sort());
    expect((await serve({ tables: { include: ['audit_*'] } })).names).toEqual([...AUDIT_LOG_TOOLS, ...AUDIT_TRAIL_TOOLS].sort());
    expect((await serve({ tables: { include: ['{users,orders}'] } })).names).toEqual([...USERS_TOOLS, ...ORDERS_TOOLS].sort());
    expect((await serve({ tables: { exclude: ['audit_*'] } })).names).toEqual([...USERS_TOOLS, ...ORDERS_TOOLS, ...VIEW_TOOLS].sort());
    expect((await serve({ tables: { exclude: ['users', 'user_names'] } })).names).toEqual(
      [...ORDERS_TOOLS, ...AUDIT_LOG_TOOLS, ...AUDIT_TRAIL_TOOLS].sort(),
    );
    // Exclude wins over include, by name and by glob.
    expect((await serve({ tables: { include: ['users', 'orders'], exclude: ['orders'] } })).names).toEqual([...USERS_TOOLS].sort());
    expect((await serve({ tables: { include: ['users', 'audit_*'], exclude: ['audit_t*'] } })).names).toEqual(
      [...USERS_TOOLS, ...AUDIT_LOG_TOOLS].sort(),
    );
    // A glob that matches nothing is allowed.
    expect((await serve({ tables: { include: ['users', 'nothing_*'] } })).names).toEqual([...USERS_TOOLS].sort());
    expect((await serve({ tables: { exclude: ['zz?', 'nothing_*'] } })).names).toEqual([...ALL_TOOLS].sort());
    // An excluded table's tool does not exist for calls either.
    const served = await serve({ tables: { exclude: ['users'] } });
    const result = await call(served.client, 'query_users', {});
    expect(result.isError).toBe(true);
  });

  it('drops views with views: false', async () => {
    const served = await serve({ views: false });
    expect(served.names).toEqual(ALL_TOOLS.filter((name) => !VIEW_TOOLS.includes(name)).sort());
    expect(served.listing).not.toContain('user_names');
    // Naming the view explicitly does not bring it back.
    expect((await serve({ views: false, tables: { include: ['user_*'] } })).names).toEqual([]);
  });

  it('does not mention a foreign key to an excluded table', async () => {
    const served = await serve({ tables: { exclude: ['users', 'user_names'] } });
    const description = served.tool('query_orders').description ?? '';
    expect(description).not.toContain('users');
    expect(description).not.toContain('Links');
    expect(description).not.toContain('Relations');
    expect(served.listing).not.toMatch(/\busers\b/);
    expect(served.listing).not.toMatch(/"user\./);
    // The column itself stays, with its values.
    const orders = await ok(served.client, 'query_orders', { order_by: [{ field: 'id' }] });
    expect(rowsOf(orders).rows.map((row) => row.user_id)).toEqual([1, 2, 1]);
    // Nor one whose target column is hidden.
    const hiddenTarget = await serve({ hiddenColumns: { users: ['id'] } });
    expect(hiddenTarget.tool('query_orders').description).not.toContain('Links');
    expect(hiddenTarget.tool('query_orders').description).not.toContain('Relations');
    expect(hiddenTarget.tool('query_users').description).not.toContain('Relations');
    expect(hiddenTarget.listing).not.toMatch(/"user\./);
    await refused(hiddenTarget.client, 'query_orders', { columns: ['user.email'] }, 'columns[0]');
    await refused(hiddenTarget.client, 'count_orders', { where: [{ has: 'user' }] }, 'where[0]');
  });

  it('hides hiddenColumns everywhere: listing, results, filters, sorting, column selection', async () => {
    const served = await serve({ hiddenColumns: { users: ['ssn'] } });
    expect(served.listing).not.toContain('ssn');
    expect(served.names).toEqual([...ALL_TOOLS].sort());
    const { client } = served;

    const all = await ok(client, 'query_users', { limit: 100 });
    expect(fieldsOf(all)).toEqual(['email', 'id', 'name', 'tenant_id']);
    const byId = await ok(client, 'query_users_by_id', { id: 2 });
    const byEmail = await ok(client, 'query_users_by_email', { email: 'user2@example.com' });
    expect(Object.keys((byEmail.structuredContent as { row: object }).row).sort()).toEqual(['email', 'id', 'name', 'tenant_id']);
    for (const result of [all, byId, byEmail]) {
      expect(JSON.stringify(result)).not.toContain('900-00-');
      expect(JSON.stringify(result)).not.toContain('ssn');
    }

    const visible = ['id', 'email', 'name', 'tenant_id'];
    const condition = { field: 'ssn', op: 'eq', value: ssnOf(1) };
    for (const [name, args, argument] of [
      ['query_users', { where: [condition] }, 'where[0].field'],
      ['count_users', { where: [condition] }, 'where[0].field'],
      ['query_users', { where: [{ not: { field: 'ssn', op: 'is_null' } }] }, 'where[0].not.field'],
      ['query_users', { where: [{ or: [{ field: 'id', op: 'eq', value: 1 }, { field: 'ssn', op: 'contains', value: '900' }] }] }, 'where[0].or[1].field'],
      ['query_users', { order_by: [{ field: 'ssn' }] }, 'order_by[0].field'],
      ['query_users', { columns: ['id', 'ssn'] }, 'columns[1]'],
    ] as const) {
      const message = await refused(client, name, args, argument);
      expect(allowedIn(message).sort()).toEqual([...visible].sort());
    }
    // Nor through a relation or an aggregate: the hidden column is no field of the related table either.
    for (const [name, args, argument, allowed] of [
      // A path names the hop that is wrong and lists that table's fields.
      ['query_orders', { columns: ['id', 'user.ssn'] }, 'columns[1]', visible],
      ['query_orders', { order_by: [{ field: 'user.ssn' }] }, 'order_by[0].field', visible],
      ['query_orders', { where: [{ has: 'user', where: [condition] }] }, 'where[0].where[0].field', visible],
      ['aggregate_users', { group_by: ['ssn'] }, 'group_by[0]', visible],
      ['aggregate_users', { metrics: [{ fn: 'count_distinct', field: 'ssn' }] }, 'metrics[0].field', visible],
      ['aggregate_users', { where: [condition] }, 'where[0].field', visible],
      ['aggregate_orders', { group_by: ['user.ssn'] }, 'group_by[0]', visible],
    ] as const) {
      const message = await refused(client, name, args, argument);
      expect(allowedIn(message).sort(), message).toEqual([...allowed].sort());
    }
    await refused(client, 'aggregate_users', { group_by: ['name'], order_by: [{ by: 'ssn' }] }, 'order_by[0].by');
    const lookup = await refused(client, 'query_users_by_id', { id: 1, ssn: ssnOf(1) }, 'unknown argument');
    expect(allowedIn(lookup)).toEqual(['id']);
    // Hiding is per table: the view keeps its own column of the same name.
    const view = await serve({ hiddenColumns: { users: ['name'] } });
    expect(fieldsOf(await ok(view.client, 'query_users', {}))).toEqual(['email', 'id', 'ssn', 'tenant_id']);
    expect(fieldsOf(await ok(view.client, 'query_user_names', {}))).toEqual(['email', 'id', 'name']);
  });

  it('applies hiddenColumns["*"] to every table', async () => {
    const served = await serve({ hiddenColumns: { '*': ['tenant_id'], users: ['ssn'] } });
    expect(served.listing).not.toContain('tenant_id');
    expect(served.listing).not.toContain('ssn');
    const users = await ok(served.client, 'query_users', {});
    const orders = await ok(served.client, 'query_orders', {});
    expect(fieldsOf(users)).toEqual(['email', 'id', 'name']);
    expect(fieldsOf(orders)).toEqual(['id', 'total', 'user_id']);
    const message = await refused(served.client, 'count_orders', { where: [{ field: 'tenant_id', op: 'eq', value: 101 }] }, 'where[0].field');
    expect(allowedIn(message).sort()).toEqual(['id', 'total', 'user_id']);
    await refused(served.client, 'query_orders', { order_by: [{ field: 'tenant_id' }] }, 'order_by[0].field');
  });

  it('hides secret-looking columns by default and exposes them when allowed', async () => {
    const secrets = ['password_hash', 'api_key', 'salt'];
    const values = (id: number) => [hashOf(id), keyOf(id), saltOf(id)];
    const hidden = await serve();
    for (const secret of secrets) expect(hidden.listing).not.toContain(secret);
    expect(hidden.names).not.toContain('query_users_by_api_key');
    const all = await ok(hidden.client, 'query_users', { limit: 100 });
    const one = await ok(hidden.client, 'query_users_by_id', { id: 1 });
    for (const id of [1, 2, 12]) {
      for (const value of values(id)) expect(JSON.stringify([all, one])).not.toContain(value);
    }
    for (const secret of secrets) {
      await refused(hidden.client, 'query_users', { where: [{ field: secret, op: 'eq', value: 'x' }] }, 'where[0].field');
      await refused(hidden.client, 'query_users', { order_by: [{ field: secret }] }, 'order_by[0].field');
      await refused(hidden.client, 'query_users', { columns: [secret] }, 'columns[0]');
      await refused(hidden.client, 'query_orders', { columns: [`user.${secret}`] }, 'columns[0]');
      await refused(hidden.client, 'aggregate_users', { group_by: [secret] }, 'group_by[0]');
      await refused(hidden.client, 'aggregate_users', { metrics: [{ fn: 'max', field: secret }] }, 'metrics[0].field');
    }

    // allowedColumns exposes exactly the listed ones, with their unique-key lookup.
    const allowed = await serve({ allowedColumns: { users: ['api_key'] } });
    expect(allowed.names).toContain('query_users_by_api_key');
    expect(allowed.listing).not.toContain('password_hash');
    expect(allowed.listing).not.toContain('salt');
    const found = await ok(allowed.client, 'query_users', { where: [{ field: 'api_key', op: 'eq', value: keyOf(3) }] });
    expect(rowsOf(found).rows).toEqual([{ id: 3, email: 'user3@example.com', name: 'User 3', api_key: keyOf(3), ssn: ssnOf(3), tenant_id: 100 }]);
    const byKey = await ok(allowed.client, 'query_users_by_api_key', { api_key: keyOf(4) });
    expect((byKey.structuredContent as { row: { id: number } }).row.id).toBe(4);
    await refused(allowed.client, 'query_users', { where: [{ field: 'salt', op: 'eq', value: saltOf(1) }] }, 'where[0].field');

    const star = await serve({ allowedColumns: { '*': ['salt'] } });
    expect(fieldsOf(await ok(star.client, 'query_users', {}))).toEqual(['email', 'id', 'name', 'salt', 'ssn', 'tenant_id']);

    // hideSecretColumns: false shows them all; hiddenColumns still hides, and wins over allowedColumns.
    const shown = await serve({ hideSecretColumns: false });
    const users = await ok(shown.client, 'query_users', { where: [{ field: 'id', op: 'eq', value: 5 }] });
    expect(rowsOf(users).rows[0]).toMatchObject({ password_hash: hashOf(5), api_key: keyOf(5), salt: saltOf(5) });
    const partly = await serve({ hideSecretColumns: false, hiddenColumns: { users: ['password_hash', 'api_key'] }, allowedColumns: { users: ['api_key'] } });
    expect(partly.listing).not.toContain('password_hash');
    expect(partly.listing).not.toContain('api_key');
    expect(fieldsOf(await ok(partly.client, 'query_users', {}))).toEqual(['email', 'id', 'name', 'salt', 'ssn', 'tenant_id']);
  });

  it('generates no lookup tool whose key column is hidden', async () => {
    const noEmail = await serve({ hiddenColumns: { users: ['email'] } });
    expect(noEmail.names).toEqual(ALL_TOOLS.filter((name) => name !== 'query_users_by_email').sort());
    const noId = await serve({ hiddenColumns: { users: ['id'] } });
    expect(noId.names).toEqual(ALL_TOOLS.filter((name) => name !== 'query_users_by_id').sort());
    expect(noId.tool('query_users_by_email').description).not.toContain('primary key');
    const result = await call(noId.client, 'query_users_by_id', { id: 1 });
    expect(result.isError).toBe(true);
  });

  it('caps limit at maxRows and applies defaultLimit when no limit is given', async () => {
    const served = await serve({ maxRows: 5, defaultLimit: 3 });
    const { client } = served;
    // The cap is in each limit's schema and, once, in the server instructions.
    for (const name of ['query_users', 'aggregate_users']) {
      expect(served.tool(name).inputSchema.properties?.limit, name).toEqual({ type: 'integer', maximum: 5, default: 3 });
    }
    expect(served.tool('count_users').inputSchema.properties?.limit).toBeUndefined();
    expect(client.getInstructions()).toContain('At most 5 rows per call');

    const first = await ok(client, 'query_users', {});
    expect(rowsOf(first).rows.map((row) => row.id)).toEqual([1, 2, 3]);
    expect(rowsOf(first)).toMatchObject({ truncated: true, next_offset: 3 });
    const full = await ok(client, 'query_users', { limit: 5 });
    expect(rowsOf(full).rows).toHaveLength(5);
    expect(rowsOf(full)).toMatchObject({ truncated: true, next_offset: 5 });
    const last = await ok(client, 'query_users', { limit: 5, offset: 10 });
    expect(rowsOf(last).rows.map((row) => row.id)).toEqual([11, 12]);
    expect(rowsOf(last).truncated).toBe(false);
    expect(rowsOf(last).next_offset).toBeUndefined();

    const over = await refused(client, 'query_users', { limit: 6 }, 'limit');
    expect(over).toMatch(/\b5\b/);
    await refused(client, 'query_users', { limit: 1_000 }, 'limit');
    // Counting is not capped.
    expect((await ok(client, 'count_users', {})).structuredContent).toEqual({ count: USERS });

    // defaultLimit follows a smaller maxRows when not given.
    const small = await serve({ maxRows: 10 });
    expect(rowsOf(await ok(small.client, 'query_users', {}))).toMatchObject({ truncated: true, next_offset: 10 });
    await refused(small.client, 'query_users', { limit: 11 }, 'limit');
    // The default cap is 100.
    const defaults = await serve();
    await refused(defaults.client, 'query_users', { limit: 101 }, 'limit');
    expect(rowsOf(await ok(defaults.client, 'query_users', { limit: 100 })).rows).toHaveLength(USERS);
  });

  it('rejects configuration mistakes at creation with a ConfigurationError naming the mistake', async () => {
    const cases: [options: unknown, message: RegExp][] = [
      [{ tables: { include: ['userz'] } }, /tables\.include.*"userz"/],
      [{ tables: { include: ['users', 'Users'] } }, /"Users".*did you mean "users"/],
      [{ tables: { exclude: ['audit_logs'] } }, /tables\.exclude.*"audit_logs"/],
      [{ tables: { include: ['other_schema.users'] } }, /"other_schema\.users"/],
      [{ hiddenColumns: { nope: ['ssn'] } }, /hiddenColumns.*"nope"/],
      [{ hiddenColumns: { users: ['social'] } }, /hiddenColumns\["users"\].*"social"/],
      [{ hiddenColumns: { '*': ['social'] } }, /hiddenColumns\["\*"\].*"social"/],
      [{ allowedColumns: { nope: ['api_key'] } }, /allowedColumns.*"nope"/],
      [{ allowedColumns: { users: ['secret_sauce'] } }, /allowedColumns\["users"\].*"secret_sauce"/],
      [{ tabels: { include: ['users'] } }, /tabels/],
      [{ tables: { include: ['users'], exlude: ['orders'] } }, /exlude/],
      [{ limits: { maxDepth: 3 } }, /maxDepth/],
      [{ maxRows: 0 }, /maxRows/],
      [{ maxRows: -5 }, /maxRows/],
      [{ maxRows: 2.5 }, /maxRows/],
      [{ maxRows: 10, defaultLimit: 50 }, /defaultLimit.*50.*maxRows.*10/],
      [{ defaultLimit: 200 }, /defaultLimit/],
      [{ defaultLimit: 0 }, /defaultLimit/],
      [{ views: 'no' }, /views/],
      [{ maxRows: '10' }, /maxRows/],
      [{ hideSecretColumns: 1 }, /hideSecretColumns/],
      [{ tables: ['users'] }, /tables/],
      [{ tables: { include: 'users' } }, /tables\.include/],
      [{ tables: { include: [''] } }, /tables\.include/],
      [{ hiddenColumns: ['ssn'] }, /hiddenColumns/],
      [{ hiddenColumns: { users: 'ssn' } }, /hiddenColumns\.users/],
      [{ allowedColumns: { users: [1] } }, /allowedColumns\.users/],
      [{ limits: { maxConditions: 0 } }, /limits\.maxConditions/],
      [{ statementTimeoutMs: 'fast' }, /statementTimeoutMs/],
    ];
    for (const [options, message] of cases) {
      const error = await createConexor(db.knex, { logger: quiet, ...(options as ConexorOptions) }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error, `${JSON.stringify(options)} should be rejected`).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe('configuration');
      expect((error as Error).message, JSON.stringify(options)).toMatch(message);
    }
    await expect(createConexorServer(db.knex, { logger: quiet, tables: { exclude: ['nope'] } })).rejects.toThrow(ConfigurationError);
    // Valid equivalents are accepted.
    await expect(
      createConexor(db.knex, { logger: quiet, hiddenColumns: { [`${db.schema}.users`]: ['ssn'], '*': ['tenant_id'] }, allowedColumns: { users: ['api_key'] } }),
    ).resolves.toBeDefined();
  });
});
