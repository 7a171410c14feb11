/**
 * The budgeted catalog on Chinook, through a real MCP client on every dialect: what `auto`, `typed` and `compact`
 * list, search_tables, and the generic tools with a `table` argument — same validation, policy and audit as the
 * typed tools, and nothing named that the caller may not use.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type AuditEvent, type CallerPolicy, type ConexorOptions } from '../../src/index.js';
import { snakeCase } from '../../src/shared/snake-case.js';
import { loadChinook } from '../support/chinook.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { INJECTION_PAYLOADS } from '../support/injection-payloads.js';
import { call, connectClient, textOf } from '../support/mcp.js';

const TABLES = ['album', 'artist', 'customer', 'employee', 'genre', 'invoice', 'invoice_line', 'media_type', 'playlist', 'playlist_track', 'track'];

describe.each(DIALECTS)('catalog modes and generic tools on Chinook (%s)', (dialect) => {
  let db: TestDatabase;
  const clients: Client[] = [];

  async function clientWith(options: ConexorOptions = {}): Promise<Client> {
    const conexor = await createConexor(db.knex, options);
    const client = await connectClient(conexor.createServer());
    clients.push(client);
    return client;
  }

  const names = (tools: readonly Tool[]) => tools.map((tool) => tool.name);
  /** A Chinook column or table as this dialect spells it: PostgreSQL's script uses snake_case. */
  const c = (name: string) => (dialect === 'postgresql' ? snakeCase(name) : name);

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_generic');
    await loadChinook(db.knex, dialect);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await db?.destroy();
  });

  it('lists every typed tool of Chinook by default (they fit the budget), in a deterministic order', async () => {
    const client = await clientWith();
    const listed = (await client.listTools()).tools;
    const expected = TABLES.flatMap((table) => {
      const keys = table === 'playlist_track' ? ['query_playlist_track_by_playlist_id_and_track_id'] : [`query_${table}_by_${table}_id`];
      return [`query_${table}`, ...keys, `count_${table}`, `aggregate_${table}`];
    });
    expect(names(listed)).toEqual(expected);
    for (const tool of listed) {
      expect(tool.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
      expect(Buffer.byteLength(tool.description ?? '')).toBeLessThanOrEqual(2_048);
      expect(tool.outputSchema).toBeUndefined();
    }
    const again = await clientWith();
    expect(JSON.stringify((await again.listTools()).tools)).toBe(JSON.stringify(listed));
    expect(Buffer.byteLength(client.getInstructions() ?? '')).toBeLessThanOrEqual(2_048);
  });

  it('lists the generic tools only in compact mode, and typed ones only in typed mode', async () => {
    expect(names((await (await clientWith({ catalog: { mode: 'compact' } })).listTools()).tools)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
    const typed = names((await (await clientWith({ catalog: { mode: 'typed', budgetTokens: 1_000 } })).listTools()).tools);
    expect(typed).toHaveLength(44);
    expect(typed).not.toContain('query');
  });

  it('adds the featured tables first, then the most connected ones, when the typed tools do not fit', async () => {
    const client = await clientWith({ catalog: { budgetTokens: 2_500, featured: ['GENRE', 'playlist'] } });
    const listed = names((await client.listTools()).tools);
    expect(listed.slice(0, 4)).toEqual(['search_tables', 'query', 'count', 'aggregate']);
    expect(listed).toContain('query_genre');
    expect(listed).toContain('count_playlist');
    // Per-table aggregates would repeat the generic one.
    expect(listed.filter((name) => name.startsWith('aggregate_'))).toEqual([]);
    // Track (5 relations) outranks Artist (1).
    expect(listed).toContain('query_track');
    expect(listed).not.toContain('query_artist');
    expect(client.getInstructions()).toContain('search_tables finds every table');
  });

  it('finds tables with search_tables: names, or fields and relations with detail=columns, paged', async () => {
    const client = await clientWith({ catalog: { mode: 'compact' } });
    const all = await call(client, 'search_tables', {});
    expect(all.isError).toBeFalsy();
    expect(all.structuredContent).toMatchObject({ total: 11 });
    expect((all.structuredContent as { tables: { table: string }[] }).tables.map((entry) => entry.table)).toEqual(TABLES);

    const invoice = await call(client, 'search_tables', { pattern: 'invoice', detail: 'columns' });
    const text = textOf(invoice);
    // Name matches first, then tables whose fields or relations mention it.
    expect(text.split('\n')[0]).toBe('4 tables');
    expect((invoice.structuredContent as { tables: { table: string }[] }).tables.map((entry) => entry.table)).toEqual(['invoice', 'invoice_line', 'customer', 'track']);
    // MariaDB and PostgreSQL (once analyzed) add their row estimate.
    expect(text).toMatch(new RegExp(`^invoice(, ~\\d+ rows)?: table "${c('Invoice')}"\\. Fields: ${c('InvoiceId')} int \\(key\\), ${c('CustomerId')} int, ${c('InvoiceDate')} datetime`, 'm'));
    expect(text).toContain(`Relations: customer (${c('CustomerId')} → customer); invoice_line (invoice_line rows)`);

    // A field name finds its tables too; a glob matches names.
    const byField = await call(client, 'search_tables', { pattern: c('Milliseconds') });
    expect((byField.structuredContent as { tables: { table: string }[] }).tables.map((entry) => entry.table)).toEqual(['track']);
    const glob = await call(client, 'search_tables', { pattern: 'play*', limit: 1 });
    expect(glob.structuredContent).toMatchObject({ total: 2, tables: [{ table: 'playlist' }], next_offset: 1 });

    const wrong = await call(client, 'search_tables', { detail: 'everything' });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toContain('Invalid arguments for search_tables: detail');
  });

  it('answers through the generic tools by base or real table name, with the typed tools\' errors', async () => {
    const client = await clientWith({ catalog: { mode: 'compact' } });
    const byBase = await call(client, 'count', { table: 'invoice_line', where: [{ field: c('Quantity'), op: 'gt', value: 1 }] });
    const byReal = await call(client, 'count', { table: c('InvoiceLine'), where: [{ field: c('Quantity'), op: 'gt', value: 1 }] });
    expect(byBase.isError, textOf(byBase)).toBeFalsy();
    expect(byReal.structuredContent).toEqual(byBase.structuredContent);

    const rows = await call(client, 'query', { table: 'Track', columns: [c('Name'), `genre.${c('Name')}`], where: [{ field: c('TrackId'), op: 'eq', value: 1 }] });
    expect(rows.structuredContent).toMatchObject({ rows: [{ [c('Name')]: 'For Those About To Rock (We Salute You)', [`genre.${c('Name')}`]: 'Rock' }] });

    const sum = await call(client, 'aggregate', {
      table: 'invoice',
      group_by: [c('BillingCountry')],
      metrics: [{ fn: 'count' }],
      order_by: [{ by: 'count', direction: 'desc' }],
      limit: 1,
    });
    expect(sum.structuredContent).toMatchObject({ rows: [{ [c('BillingCountry')]: 'USA', count: 91 }], truncated: true });

    const badField = await call(client, 'query', { table: 'genre', where: [{ field: 'Title', op: 'eq', value: 'x' }] });
    expect(badField.isError).toBe(true);
    expect(textOf(badField)).toBe(`Invalid arguments for query: where[0].field: "Title" is not a field; allowed: ${c('GenreId')}, ${c('Name')}.`);
    const typed = await clientWith({ catalog: { mode: 'typed' } });
    const typedError = await call(typed, 'query_genre', { where: [{ field: 'Title', op: 'eq', value: 'x' }] });
    expect(textOf(typedError)).toBe(textOf(badField).replace('for query:', 'for query_genre:'));

    const unknownArgument = await call(client, 'count', { table: 'genre', columns: [c('Name')] });
    expect(textOf(unknownArgument)).toContain('unknown argument "columns"; allowed: where');
  });

  it('refuses a missing, unknown or forbidden table alike, suggesting only tables the caller may use', async () => {
    const policy: CallerPolicy = { tables: [c('Invoice'), c('InvoiceLine'), c('Customer')] };
    const client = await clientWith({ catalog: { mode: 'compact' }, callerPolicy: () => policy });
    const missing = await call(client, 'query', {});
    expect(textOf(missing)).toBe('Invalid arguments for query: table: required: the name of a table (search_tables lists them).');
    const typo = await call(client, 'query', { table: 'invoce' });
    expect(textOf(typo)).toBe('Invalid arguments for query: table: "invoce" is not a table you can use with query; did you mean invoice?; search_tables lists the tables.');
    const forbidden = await call(client, 'count', { table: 'employee' });
    const absent = await call(client, 'count', { table: 'employer' });
    expect(forbidden.isError).toBe(true);
    expect(textOf(forbidden)).toBe('Invalid arguments for count: table: "employee" is not a table you can use with count; search_tables lists the tables.');
    expect(textOf(absent)).toBe(textOf(forbidden).replace('employee', 'employer'));

    const search = await call(client, 'search_tables', { detail: 'columns' });
    const text = textOf(search);
    expect((search.structuredContent as { tables: { table: string }[] }).tables.map((entry) => entry.table)).toEqual(['customer', 'invoice', 'invoice_line']);
    // Relations towards tables the caller may not read are gone: customer → employee (support_rep), invoice_line → track.
    expect(text).not.toMatch(/employee|support_rep \(|→ track|track rows|illiseconds/);
    // A related field of a forbidden table is refused like any unknown field, naming nothing of that table.
    const related = await call(client, 'query', { table: 'invoice_line', columns: [`track.${c('Name')}`] });
    expect(related.isError).toBe(true);
    expect(textOf(related)).not.toContain(c('Milliseconds'));
  });

  it('lists only the generic kinds a caller may use, and narrows limit to its maxRows', async () => {
    const counts = await clientWith({ catalog: { mode: 'compact' }, callerPolicy: () => ({ tools: ['count_*'], maxRows: 5 }) });
    const listed = (await counts.listTools()).tools;
    expect(names(listed)).toEqual(['search_tables', 'count']);
    expect(counts.getInstructions()).not.toContain('aggregate');
    const query = await call(counts, 'query', { table: 'genre' });
    expect(textOf(query)).toBe('MCP error -32602: Tool query not found');

    const limited = await clientWith({ catalog: { mode: 'compact' }, callerPolicy: () => ({ maxRows: 5 }) });
    const queryTool = (await limited.listTools()).tools.find((tool) => tool.name === 'query');
    expect(queryTool?.inputSchema.properties?.limit).toMatchObject({ maximum: 5, default: 5 });
    const tooMany = await call(limited, 'query', { table: 'genre', limit: 6 });
    expect(textOf(tooMany)).toBe('Invalid arguments for query: limit: at most 5 rows are allowed for this caller.');
  });

  it('refuses every injection payload as a table, field or search pattern, and changes nothing', async () => {
    const client = await clientWith({ catalog: { mode: 'compact' } });
    const before = await db.knex(c('Genre')).count({ n: '*' });
    for (const payload of INJECTION_PAYLOADS) {
      const asTable = await call(client, 'count', { table: payload });
      expect(asTable.isError, payload).toBe(true);
      expect(textOf(asTable)).toMatch(/^Invalid arguments for count: table: /);
      const asField = await call(client, 'query', { table: 'genre', where: [{ field: payload, op: 'eq', value: 1 }] });
      expect(asField.isError, payload).toBe(true);
      const asColumn = await call(client, 'aggregate', { table: 'genre', group_by: [payload] });
      expect(asColumn.isError, payload).toBe(true);
      // A pattern is matched in memory against names and descriptions, never sent to the database.
      const asPattern = await call(client, 'search_tables', { pattern: payload.slice(0, 200) });
      expect(asPattern.isError ?? false, payload).toBe(false);
      const asValue = await call(client, 'count', { table: 'genre', where: [{ field: c('Name'), op: 'eq', value: payload.slice(0, 1000).split('\u0000').join('') }] });
      expect((asValue.structuredContent as { count: number }).count, payload).toBe(0);
    }
    expect(await db.knex(c('Genre')).count({ n: '*' })).toEqual(before);
  });

  it('records generic calls with their table, kind and arguments', async () => {
    const events: AuditEvent[] = [];
    const client = await clientWith({
      catalog: { mode: 'compact' },
      audit: { sinks: [{ name: 'memory', write: async (batch) => void events.push(...batch) }] },
    });
    await call(client, 'count', { table: 'genre', where: [{ field: c('Name'), op: 'eq', value: 'Rock' }] });
    await call(client, 'query', { table: 'secret_stuff', where: [{ field: 'x', op: 'eq', value: 'hunter2' }] });
    await call(client, 'search_tables', { pattern: 'genre' });
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      tool: 'count',
      table: expect.stringMatching(/\.genre$/i),
      operation: 'count',
      outcome: 'ok',
      rowCount: 1,
      arguments: { table: 'genre', where: [{ field: c('Name'), op: 'eq', value: 'Rock' }] },
    });
    // An unknown table: nothing the model sent is kept in clear.
    expect(events[1]).toMatchObject({ tool: 'query', table: null, operation: 'query', outcome: 'invalid' });
    expect(JSON.stringify(events[1]?.arguments)).not.toMatch(/secret_stuff|hunter2/);
    // genre by name, track by its relation named genre.
    expect(events[2]).toMatchObject({ tool: 'search_tables', operation: 'search', outcome: 'ok', rowCount: 2 });
  });
});
