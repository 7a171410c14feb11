import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, functionSink, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const BIG = 3 * 1024 * 1024;
const MEDIUM = 3_000;
const ROWS = 100;

/** What a result costs a model: its text and its structured content. */
const resultBytes = (result: CallToolResult) => Buffer.byteLength(textOf(result)) + Buffer.byteLength(JSON.stringify(result.structuredContent));

describe.each(DIALECTS)('result size bounds on %s', (dialect) => {
  let db: TestDatabase;
  let cx: Conexor;
  let client: Client;
  const events: AuditEvent[] = [];
  /** The longest string or buffer any driver response carried into Node. */
  let longestRead = 0;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await db.knex.schema.createTable('docs', (table) => {
      table.increments('id');
      table.string('title', 100).notNullable();
      // LONGTEXT / LONGBLOB on MySQL: TEXT and BLOB stop at 64 KiB there.
      table.text('body', 'longtext');
      table.binary('data');
      table.json('meta');
    });
    if (dialect === 'mysql') await db.knex.raw('ALTER TABLE docs MODIFY data LONGBLOB');
    await db.knex.schema.createTable('pages', (table) => {
      table.increments('id');
      table.text('body');
    });
    const big = 'é'.repeat(BIG / 2); // 2 bytes a character: cut by characters, sized in bytes
    await db.knex('docs').insert({
      title: 'huge',
      body: big,
      data: Buffer.alloc(BIG, 7),
      meta: JSON.stringify({ items: Array.from({ length: 20_000 }, (_, index) => ({ index, label: `item-${index}` })) }),
    });
    await db.knex('docs').insert({ title: 'small', body: 'short text', data: Buffer.from([1, 2, 3]), meta: JSON.stringify({ ok: true }) });
    for (let start = 0; start < ROWS; start += 25) {
      await db.knex('pages').insert(Array.from({ length: 25 }, (_, index) => ({ body: `${start + index}:`.padEnd(MEDIUM, 'x') })));
    }
    cx = await createConexor(db.knex, { maxRows: 100, audit: { sinks: [functionSink((batch) => void events.push(...batch))] } });
    client = await connectClient(cx.createServer());
    db.knex.on('query-response', (response: unknown) => {
      const rows = Array.isArray(response) ? response : ((response as { rows?: unknown[] } | undefined)?.rows ?? []);
      for (const row of rows as Record<string, unknown>[]) {
        for (const value of Object.values(row ?? {})) {
          const length = typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.length : 0;
          longestRead = Math.max(longestRead, length);
        }
      }
    });
  });
  afterAll(async () => {
    await client?.close();
    await db?.destroy();
  });

  it('cuts long text, JSON and binary values in the database, marked with their whole size', async () => {
    longestRead = 0;
    const result = await call(client, 'query_docs', { where: [{ field: 'title', op: 'eq', value: 'huge' }] });
    expect(result.isError).toBeFalsy();
    const [row] = (result.structuredContent as { rows: Record<string, unknown>[] }).rows;
    const body = String(row?.body);
    expect(body).toMatch(new RegExp(`^(é){4096}… \\[cut: ${BIG} bytes in all\\]$`));
    const data = String(row?.data);
    expect(data).toMatch(/^[A-Za-z0-9+/=]+… \[cut: 3145728 bytes in all\]$/);
    expect(Buffer.from(data.slice(0, data.indexOf('…')), 'base64').every((byte) => byte === 7)).toBe(true);
    expect(String(row?.meta)).toMatch(/^\{.*… \[cut: \d+ bytes in all\]$/);
    expect(textOf(result)).toContain(`… [cut: ${BIG} bytes in all]`);
    // Never read whole: nothing the drivers returned was longer than the cut (plus the one unit that tells it).
    expect(longestRead).toBeGreaterThan(0);
    expect(longestRead).toBeLessThanOrEqual(4097 * 4);

    // Lookups and group keys are cut the same way; short values are untouched.
    const lookup = await call(client, 'query_docs_by_id', { id: 1 });
    expect(String((lookup.structuredContent as { row: Record<string, unknown> }).row.body)).toMatch(/… \[cut: 3145728 bytes in all\]$/);
    const small = await call(client, 'query_docs_by_id', { id: 2 });
    expect((small.structuredContent as { row: Record<string, unknown> }).row).toMatchObject({ body: 'short text', data: 'AQID', meta: { ok: true } });
    const groups = await call(client, 'aggregate_docs', { group_by: ['body'], order_by: [{ by: 'body', direction: 'asc' }] });
    expect(groups.isError).toBeFalsy();
    const keys = (groups.structuredContent as { rows: { body: string; count: number }[] }).rows.map((group) => group.body);
    expect(keys).toHaveLength(2);
    expect(keys.find((key) => key.endsWith(`[cut: ${BIG} bytes in all]`))).toBeDefined();
    expect(longestRead).toBeLessThanOrEqual(4097 * 4);
  });

  it('keeps every result within maxResultBytes and leaves the rest for the next page, on record', async () => {
    const seen: string[] = [];
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const before = events.length;
      const result = await call(client, 'query_pages', { limit: 100, offset, order_by: [{ field: 'id' }] });
      expect(result.isError).toBeFalsy();
      expect(resultBytes(result)).toBeLessThanOrEqual(65_536);
      const page = result.structuredContent as { rows: { body: string }[]; truncated: boolean; next_offset?: number };
      expect(page.rows.length).toBeGreaterThan(0);
      seen.push(...page.rows.map((row) => row.body.slice(0, row.body.indexOf(':'))));
      // The trail says what was returned, not what was asked.
      expect(events.slice(before).map((event) => [event.rowCount, event.truncated])).toEqual([[page.rows.length, page.truncated]]);
      if (page.truncated) expect(textOf(result)).toMatch(/truncated: the result size limit was reached; next offset \d+/);
      offset = page.next_offset;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: ROWS }, (_, index) => String(index)));
  });

  it('cuts a single row that alone exceeds the budget instead of dropping it', async () => {
    const tight = await createConexor(db.knex, { maxResultBytes: 4_096, maxValueChars: 3_000 });
    const result = await tight.callTool('query_pages', { limit: 5, order_by: [{ field: 'id' }] });
    expect(result.isError).toBeFalsy();
    const page = result.structuredContent as { rows: { id: number; body: string }[]; truncated: boolean; next_offset: number };
    expect(page.rows.map((row) => row.id)).toEqual([1]);
    expect(page.rows[0]?.body).toMatch(/^0:x+… \[cut: 3000 bytes in all\]$/);
    expect(page).toMatchObject({ truncated: true, next_offset: 1 });
    expect(resultBytes(result)).toBeLessThanOrEqual(4_096);
  });

  it('refuses a value cap that does not fit the result, at creation', async () => {
    await expect(createConexor(db.knex, { maxResultBytes: 2_048, maxValueChars: 4_096 })).rejects.toThrow(/maxValueChars \(4096\) exceeds maxResultBytes \(2048\)/);
  });
});
