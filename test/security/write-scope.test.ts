import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConexor, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';
import { snapshot } from '../support/snapshot.js';
import { affectedOf, callTool, diffRows, tableRows, type PlainRow } from '../support/writes.js';

/**
 * Scope escapes through the write tools, on every dialect, through a real MCP client. Two tenants share `parent` and
 * `child` (scoped on `tenant_id`, the tenant taken from the request's `_meta`); tenant 1 tries every way to write
 * rows of tenant 2: setting the scoping column on insert or in `set`, naming tenant 2's rows by key, filters that
 * would also match tenant 2's rows (directly, through a relation path, through `has`), pointing a foreign key at
 * tenant 2's parent row, the generic tools, and a call with no tenant at all. Every attempt must leave tenant 2's
 * rows exactly as they were, and a reference into tenant 2's rows must be refused with the same words as a
 * reference to no row (no existence leak).
 */

const PARENTS = [
  { id: 1, tenant_id: 1, name: 'p1' },
  { id: 2, tenant_id: 2, name: 'p2' },
  { id: 3, tenant_id: 1, name: 'shared' },
  { id: 4, tenant_id: 2, name: 'shared' },
];
const CHILDREN = [
  { id: 1, tenant_id: 1, parent_id: 1, label: 'a', n: 1 },
  { id: 2, tenant_id: 2, parent_id: 2, label: 'a', n: 2 },
  { id: 3, tenant_id: 1, parent_id: 3, label: 'same', n: 3 },
  { id: 4, tenant_id: 2, parent_id: 4, label: 'same', n: 4 },
  // Tenant 2's row pointing at tenant 1's parent: a `has` filter of tenant 1 must not see it.
  { id: 5, tenant_id: 2, parent_id: 3, label: 'cross', n: 5 },
];

const TENANT_1 = { tenant: 1 };
const TENANT_2 = { tenant: 2 };

describe.each(DIALECTS)('write scope on %s', (dialect) => {
  let db: TestDatabase;
  let typed: Conexor;
  let compact: Conexor;
  let client: Client;
  let generic: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_wscope');
    await db.knex.schema.createTable('parent', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.string('name', 100).notNullable();
    });
    await db.knex.schema.createTable('child', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.integer('parent_id').unsigned().nullable().references('id').inTable('parent');
      t.string('label', 100).notNullable();
      t.integer('n');
    });
    const options = {
      logger: pino({ level: 'silent' }),
      audit: false as const,
      writes: true,
      scope: { columns: ['tenant_id'], values: (context: { meta?: Readonly<Record<string, unknown>> }) => ({ tenant_id: context.meta?.tenant as number | undefined }) },
    };
    typed = await createConexor(db.knex, options);
    compact = await createConexor(db.knex, { ...options, catalog: { mode: 'compact' } });
    client = await connectClient(typed.createServer());
    generic = await connectClient(compact.createServer());
  });

  beforeEach(async () => {
    await db.knex('child').delete();
    await db.knex('parent').delete();
    await db.knex('parent').insert(PARENTS);
    await db.knex('child').insert(CHILDREN);
    // PostgreSQL: explicit ids leave the sequences behind; inserts through the tools need fresh ones.
    if (dialect === 'postgresql') {
      for (const table of ['parent', 'child']) await db.knex.raw(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), 100)`);
    }
  });

  afterAll(async () => {
    await client?.close();
    await generic?.close();
    await typed?.close();
    await compact?.close();
    await db?.destroy();
  });

  /** Tenant 2's rows of both tables, as stored. */
  async function tenant2(): Promise<{ parent: PlainRow[]; child: PlainRow[] }> {
    return {
      parent: (await tableRows(db.knex, 'parent')).filter((row) => Number(row.tenant_id) === 2),
      child: (await tableRows(db.knex, 'child')).filter((row) => Number(row.tenant_id) === 2),
    };
  }

  /** A call that must be refused with an invalid-arguments error naming `argument`, and change nothing. */
  async function refusedUnchanged(on: Client, tool: string, args: Record<string, unknown>, pattern: RegExp, meta = TENANT_1): Promise<string> {
    const before = await snapshot(db);
    const result = await callTool(on, tool, args, meta);
    expect(result.isError, `${tool} ${JSON.stringify(args)}: ${textOf(result)}`).toBe(true);
    expect(textOf(result)).toMatch(pattern);
    expect(await snapshot(db), `${tool} changed the database`).toEqual(before);
    return textOf(result);
  }

  it('lists the write tools, without the scoping column anywhere in their input', () => {
    const names = typed.tools.map((tool) => tool.name);
    for (const name of ['insert_child', 'update_child_by_id', 'update_child', 'delete_child_by_id', 'delete_child', 'update_parent']) expect(names).toContain(name);
    for (const tool of typed.tools) expect(JSON.stringify(tool.inputSchema), tool.name).not.toContain('tenant_id');
    expect(compact.tools.map((tool) => tool.name).sort()).toEqual(['aggregate', 'count', 'delete', 'insert', 'query', 'search_tables', 'update'].sort());
  });

  it('refuses the scoping column on insert, typed and generic, as an unknown argument', async () => {
    await refusedUnchanged(client, 'insert_child', { rows: [{ parent_id: 1, label: 'x', tenant_id: 2 }] }, /^Invalid arguments for insert_child: rows\[0\]: unknown argument "tenant_id"/);
    await refusedUnchanged(client, 'insert_parent', { rows: [{ name: 'x', tenant_id: 2 }] }, /unknown argument "tenant_id"/);
    await refusedUnchanged(generic, 'insert', { table: 'child', rows: [{ parent_id: 1, label: 'x', tenant_id: 2 }] }, /^Invalid arguments for insert: rows\[0\]: unknown argument "tenant_id"/);
    // An insert takes the tenant from the caller.
    const done = await callTool(client, 'insert_child', { rows: [{ parent_id: 1, label: 'mine' }] }, TENANT_1);
    expect(affectedOf(done)).toBe(1);
    const stored = (await tableRows(db.knex, 'child')).filter((row) => row.label === 'mine');
    expect(stored.map((row) => Number(row.tenant_id))).toEqual([1]);
  });

  it('refuses the scoping column on insert and in set when results show it (scope.visible)', async () => {
    const visible = await createConexor(db.knex, {
      logger: pino({ level: 'silent' }),
      audit: false,
      writes: true,
      scope: { columns: ['tenant_id'], visible: true, values: (context) => ({ tenant_id: context.meta?.tenant as number | undefined }) },
    });
    const other = await connectClient(visible.createServer());
    try {
      await refusedUnchanged(other, 'insert_child', { rows: [{ parent_id: 1, label: 'x', tenant_id: 2 }] }, /unknown argument "tenant_id"/);
      await refusedUnchanged(other, 'update_child_by_id', { id: 1, set: { tenant_id: 2 } }, /unknown argument "tenant_id"/);
      const inserted = await callTool(other, 'insert_child', { rows: [{ parent_id: 1, label: 'shown' }] }, TENANT_1);
      expect((inserted.structuredContent as { rows: PlainRow[] }).rows[0]).toMatchObject({ label: 'shown', tenant_id: 1 });
    } finally {
      await other.close();
      await visible.close();
    }
  });

  it('refuses the scoping column in set, by key, filtered and generic', async () => {
    await refusedUnchanged(client, 'update_child_by_id', { id: 1, set: { tenant_id: 2 } }, /unknown argument "tenant_id"/);
    await refusedUnchanged(client, 'update_child_by_id', { id: 1, set: { label: 'x', tenant_id: 2 } }, /unknown argument "tenant_id"/);
    await refusedUnchanged(client, 'update_child', { where: [{ field: 'id', op: 'eq', value: 1 }], set: { tenant_id: 2 }, max_affected: 1 }, /unknown argument "tenant_id"/);
    await refusedUnchanged(generic, 'update', { table: 'child', where: [{ field: 'id', op: 'eq', value: 1 }], set: { label: 'x', tenant_id: 2 }, max_affected: 1 }, /unknown argument "tenant_id"/);
    // Nor can a filter name it: a caller cannot even test for another tenant's value.
    await refusedUnchanged(client, 'update_child', { where: [{ field: 'tenant_id', op: 'eq', value: 2 }], set: { label: 'x' }, max_affected: 5 }, /^Invalid arguments for update_child: where\[0\]/);
    await refusedUnchanged(client, 'delete_child', { where: [{ field: 'tenant_id', op: 'neq', value: 1 }], max_affected: 5 }, /^Invalid arguments for delete_child: where\[0\]/);
  });

  it("does not reach another tenant's row by key: affected 0, the row unchanged", async () => {
    const before = await tenant2();
    for (const id of [2, 4, 5]) {
      expect(affectedOf(await callTool(client, 'update_child_by_id', { id, set: { label: 'stolen', n: 0 } }, TENANT_1))).toBe(0);
      expect(affectedOf(await callTool(client, 'delete_child_by_id', { id }, TENANT_1))).toBe(0);
    }
    expect(affectedOf(await callTool(client, 'update_parent_by_id', { id: 2, set: { name: 'stolen' } }, TENANT_1))).toBe(0);
    expect(affectedOf(await callTool(client, 'delete_parent_by_id', { id: 4 }, TENANT_1))).toBe(0);
    expect(await tenant2()).toEqual(before);
    // The same call as the owner does change it: the refusal above is the scope, not a broken tool.
    expect(affectedOf(await callTool(client, 'update_child_by_id', { id: 2, set: { n: 20 } }, TENANT_2))).toBe(1);
  });

  it("changes only the caller's rows when where matches other tenants' rows too, and counts only them against max_affected", async () => {
    const before = await tenant2();
    const rowsBefore = await tableRows(db.knex, 'child');
    // `same` matches one row per tenant: with max_affected 1 the call succeeds, since only one row is the caller's.
    const updated = await callTool(client, 'update_child', { where: [{ field: 'label', op: 'eq', value: 'same' }], set: { n: 30 }, max_affected: 1 }, TENANT_1);
    expect(affectedOf(updated)).toBe(1);
    expect((updated.structuredContent as { rows: PlainRow[] }).rows.map((row) => row.id)).toEqual([3]);
    expect(diffRows(rowsBefore, await tableRows(db.knex, 'child'))).toEqual({ added: [], removed: [], changed: ['3'] });
    const generalUpdate = await callTool(generic, 'update', { table: 'child', where: [{ field: 'n', op: 'gte', value: 0 }], set: { label: 'all' }, max_affected: 10 }, TENANT_1);
    expect(affectedOf(generalUpdate)).toBe(2);
    const deleted = await callTool(client, 'delete_child', { where: [{ field: 'id', op: 'in', value: [1, 2, 3, 4, 5] }], max_affected: 2 }, TENANT_1);
    expect(affectedOf(deleted)).toBe(2);
    // Parent 3 is still referenced (by tenant 2's child 5): parent 1 is the caller's only free one.
    expect(affectedOf(await callTool(generic, 'delete', { table: 'parent', where: [{ field: 'name', op: 'in', value: ['p1', 'p2'] }], max_affected: 1 }, TENANT_1))).toBe(1);
    expect(await tenant2()).toEqual(before);
    expect((await tableRows(db.knex, 'child')).map((row) => row.id)).toEqual([2, 4, 5]);
    expect((await tableRows(db.knex, 'parent')).map((row) => row.id)).toEqual([2, 3, 4]);
  });

  it("refuses a reference to another tenant's parent with the same words as a reference to no parent", async () => {
    const cases: [Client, string, (parent: number) => Record<string, unknown>][] = [
      [client, 'insert_child', (parent) => ({ rows: [{ parent_id: parent, label: 'x' }] })],
      [client, 'update_child_by_id', (parent) => ({ id: 1, set: { parent_id: parent } })],
      [client, 'update_child', (parent) => ({ where: [{ field: 'label', op: 'eq', value: 'a' }], set: { parent_id: parent }, max_affected: 5 })],
      [generic, 'insert', (parent) => ({ table: 'child', rows: [{ parent_id: parent, label: 'x' }] })],
      [generic, 'update', (parent) => ({ table: 'child', where: [{ field: 'id', op: 'eq', value: 3 }], set: { parent_id: parent, n: 9 }, max_affected: 1 })],
    ];
    for (const [on, tool, args] of cases) {
      const foreign = await refusedUnchanged(on, tool, args(2), /parent_id/);
      const missing = await refusedUnchanged(on, tool, args(999), /parent_id/);
      expect(foreign, `${tool}: a reference into another tenant must read like a reference to no row`).toBe(missing);
      expect(foreign).not.toMatch(/tenant|exists elsewhere|another/i);
      // The caller's own parent is accepted.
      expect(affectedOf(await callTool(on, tool, args(3), TENANT_1))).toBeGreaterThan(0);
    }
  });

  it('does not let a write set a reference into a scoped table that is not exposed: no other tenant, no oracle', async () => {
    // The foreign key's target is hidden from the model, but its rows are still tenants' rows: once the insert linked
    // tenant 1's child to tenant 2's parent, and only a missing parent was refused (by the database). A reference
    // that nothing the caller may see can vouch for is not settable at all, so it is neither an escape nor an oracle.
    const hidden = await createConexor(db.knex, {
      logger: pino({ level: 'silent' }),
      audit: false,
      tables: { exclude: ['parent'] },
      writes: true,
      scope: { columns: ['tenant_id'], values: (context) => ({ tenant_id: context.meta?.tenant as number | undefined }) },
    });
    const other = await connectClient(hidden.createServer());
    try {
      for (const [tool, args] of [
        ['insert_child', (parent: number) => ({ rows: [{ parent_id: parent, label: 'x' }] })],
        ['update_child_by_id', (parent: number) => ({ id: 1, set: { parent_id: parent } })],
      ] as const) {
        const foreign = await refusedUnchanged(other, tool, args(2), /unknown argument "parent_id"/);
        const missing = await refusedUnchanged(other, tool, args(999), /unknown argument "parent_id"/);
        const own = await refusedUnchanged(other, tool, args(3), /unknown argument "parent_id"/);
        expect(new Set([foreign, missing, own]).size).toBe(1);
        expect(foreign).not.toMatch(/\bparent\b(?!_id)/);
      }
    } finally {
      await other.close();
      await hidden.close();
    }
  });

  it("refuses a delete or key change that the database would cascade into another tenant's rows", async () => {
    // Tenant 2's doc 1 references tenant 1's folder 1 (by id, ON DELETE CASCADE; by code, ON UPDATE CASCADE).
    // Before the fix, tenant 1 deleting its own folder 1 deleted tenant 2's doc, and renaming its code changed it.
    await db.knex.schema.createTable('folder', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.string('code', 20).notNullable().unique();
      t.string('name', 50);
    });
    await db.knex.schema.createTable('doc', (t) => {
      t.increments('id');
      t.integer('tenant_id').notNullable();
      t.integer('folder_id').unsigned().notNullable().references('id').inTable('folder').onDelete('CASCADE');
      t.string('folder_code', 20).notNullable().references('code').inTable('folder').onUpdate('CASCADE');
    });
    const cascading = await createConexor(db.knex, {
      logger: pino({ level: 'silent' }),
      audit: false,
      tables: { include: ['folder', 'doc'] },
      writes: true,
      scope: { columns: ['tenant_id'], values: (context) => ({ tenant_id: context.meta?.tenant as number | undefined }) },
    });
    const other = await connectClient(cascading.createServer());
    try {
      await db.knex('folder').insert([
        { id: 1, tenant_id: 1, code: 'F1', name: 'shared' },
        { id: 2, tenant_id: 1, code: 'F2', name: 'own' },
      ]);
      await db.knex('doc').insert([
        { id: 1, tenant_id: 2, folder_id: 1, folder_code: 'F1' },
        { id: 2, tenant_id: 1, folder_id: 2, folder_code: 'F2' },
      ]);
      const docs = await tableRows(db.knex, 'doc');
      for (const [tool, args] of [
        ['delete_folder_by_id', { id: 1 }],
        ['delete_folder', { where: [{ field: 'name', op: 'in', value: ['shared', 'own'] }], max_affected: 5 }],
        ['update_folder_by_id', { id: 1, set: { code: 'F9' } }],
        ['update_folder', { where: [{ field: 'code', op: 'eq', value: 'F1' }], set: { code: 'F9', name: 'x' }, max_affected: 1 }],
      ] as const) {
        const before = await snapshot(db);
        const result = await callTool(other, tool, args, TENANT_1);
        expect(result.isError, `${tool}: ${textOf(result)}`).toBe(true);
        expect(textOf(result)).toMatch(/still reference .* of folder; change or delete them first\. Nothing was changed\.$/);
        expect(await snapshot(db)).toEqual(before);
      }
      expect(await tableRows(db.knex, 'doc')).toEqual(docs);
      // What reaches only the caller's rows still works: a column nothing references, and a cascade to its own doc.
      expect(affectedOf(await callTool(other, 'update_folder_by_id', { id: 1, set: { name: 'renamed' } }, TENANT_1))).toBe(1);
      expect(affectedOf(await callTool(other, 'update_folder_by_id', { id: 2, set: { code: 'F3' } }, TENANT_1))).toBe(1);
      expect(affectedOf(await callTool(other, 'delete_folder_by_id', { id: 2 }, TENANT_1))).toBe(1);
      expect((await tableRows(db.knex, 'doc')).map((row) => Number(row.id))).toEqual([1]);
    } finally {
      await other.close();
      await cascading.close();
      await db.knex.schema.dropTable('doc');
      await db.knex.schema.dropTable('folder');
    }
  });

  it("does not reach other tenants' rows through relation paths or has filters", async () => {
    const before = await tenant2();
    // Tenant 2's parent: invisible, so nothing matches.
    expect(affectedOf(await callTool(client, 'update_child', { where: [{ field: 'parent.name', op: 'eq', value: 'p2' }], set: { label: 'x' }, max_affected: 5 }, TENANT_1))).toBe(0);
    expect(affectedOf(await callTool(client, 'delete_child', { where: [{ field: 'parent.id', op: 'eq', value: 4 }], max_affected: 5 }, TENANT_1))).toBe(0);
    // `shared` names a parent of each tenant: only the caller's child changes.
    const path = await callTool(client, 'update_child', { where: [{ field: 'parent.name', op: 'eq', value: 'shared' }], set: { label: 'via path' }, max_affected: 1 }, TENANT_1);
    expect((path.structuredContent as { rows: PlainRow[] }).rows.map((row) => row.id)).toEqual([3]);
    // Tenant 2's child 5 points at tenant 1's parent 3: tenant 1's `has` does not see it.
    const relation = 'child';
    const cross = await callTool(client, 'update_parent', { where: [{ has: relation, where: [{ field: 'label', op: 'eq', value: 'cross' }] }], set: { name: 'x' }, max_affected: 5 }, TENANT_1);
    expect(affectedOf(cross)).toBe(0);
    const all = await callTool(client, 'update_parent', { where: [{ has: relation }], set: { name: 'has children' }, max_affected: 5 }, TENANT_1);
    expect(affectedOf(all)).toBe(2);
    expect(affectedOf(await callTool(generic, 'delete', { table: 'child', where: [{ field: 'parent.name', op: 'eq', value: 'p2' }], max_affected: 5 }, TENANT_1))).toBe(0);
    expect(affectedOf(await callTool(client, 'delete_parent', { where: [{ not: { has: relation, where: [{ field: 'label', op: 'eq', value: 'nothing' }] } }, { field: 'id', op: 'in', value: [2, 4] }], max_affected: 5 }, TENANT_1))).toBe(0);
    expect(await tenant2()).toEqual(before);
  });

  it('denies a call whose context carries no tenant, and changes nothing', async () => {
    const attempts: [Client, string, Record<string, unknown>][] = [
      [client, 'insert_child', { rows: [{ parent_id: 1, label: 'x' }] }],
      [client, 'insert_parent', { rows: [{ name: 'x' }] }],
      [client, 'update_child_by_id', { id: 1, set: { label: 'x' } }],
      [client, 'update_child', { where: [{ field: 'label', op: 'eq', value: 'a' }], set: { label: 'x' }, max_affected: 5 }],
      [client, 'delete_child_by_id', { id: 1 }],
      [client, 'delete_child', { where: [{ field: 'label', op: 'eq', value: 'a' }], max_affected: 5 }],
      [generic, 'insert', { table: 'child', rows: [{ parent_id: 1, label: 'x' }] }],
      [generic, 'update', { table: 'child', where: [{ field: 'label', op: 'eq', value: 'a' }], set: { label: 'x' }, max_affected: 5 }],
      [generic, 'delete', { table: 'parent', where: [{ field: 'name', op: 'eq', value: 'p1' }], max_affected: 5 }],
    ];
    const before = await snapshot(db);
    for (const [on, tool, args] of attempts) {
      for (const meta of [undefined, { tenant: null }, { tenant: { $ne: 0 } }, { other: 1 }]) {
        const result = await callTool(on, tool, args, meta as Record<string, unknown> | undefined);
        expect(result.isError, `${tool} with ${JSON.stringify(meta)}`).toBe(true);
        expect(textOf(result)).toMatch(/not allowed.*no scope/);
      }
    }
    expect(await snapshot(db)).toEqual(before);
  });
});
