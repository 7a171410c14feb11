import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import knexFactory, { type Knex } from 'knex';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor, type AuditEvent, type Conexor } from '../../src/index.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { connectClient, textOf } from '../support/mcp.js';
import { callTool, tableRows, type PlainRow } from '../support/writes.js';

/**
 * Concurrent writes on the same rows through a real MCP client, on every dialect (SQLite in memory and on a file):
 * 50 `update_counter_by_id` calls on one row, each setting its own (label, n) pair, and 50 filtered updates whose
 * windows of rows overlap, some with a `max_affected` too small. Every call must end (a hang guard, not a speed
 * check) with either its rows changed or a clear retryable error — never a deadlock or driver error; the final
 * rows must be what some serial order of the successful calls gives (each row holds one successful call's pair,
 * and no two calls each won a row the other also covered); refused calls change nothing; there is one audit event
 * per call; rows no call reaches are unchanged.
 */

const CALLS = 50;
/** What a call that lost the race may answer: the pool guard's or the write runner's retryable refusals. */
const RETRYABLE = /Retry later|Call again|retry/i;
/**
 * A deadlock, reported as retryable: never expected here, since each call locks its rows in key order before
 * changing them (MySQL-family writes run READ COMMITTED for that: under REPEATABLE READ, an UPDATE scanning a small
 * table locked rows outside its keys, and half of the overlapping calls below deadlocked on MariaDB).
 */
const CONFLICT = /Another call was changing the same rows/;

interface Target {
  readonly name: string;
  readonly open: () => Promise<{ knex: Knex; destroy: () => Promise<void> }>;
}

const directory = mkdtempSync(join(tmpdir(), 'cx-wconc-'));
const TARGETS: readonly Target[] = [
  ...DIALECTS.map((dialect) => ({
    name: dialect === 'sqlite' ? 'sqlite in memory' : dialect,
    open: async () => {
      const db: TestDatabase = await createTestDatabase(dialect, 'cx_wconc');
      return { knex: db.knex, destroy: () => db.destroy() };
    },
  })),
  {
    name: 'sqlite on a file',
    open: async () => {
      const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(directory, 'counter.db') }, useNullAsDefault: true });
      return { knex, destroy: () => knex.destroy() };
    },
  },
];

afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Rows 2..12 take the filtered updates; row 13 is never reached. */
const WINDOW_ROWS = Array.from({ length: 11 }, (_, index) => index + 2);
const UNTOUCHED = 13;

describe.each(TARGETS)('concurrent writes on $name', (target) => {
  let knex: Knex;
  let destroy: () => Promise<void>;
  let conexor: Conexor;
  let client: Client;
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    ({ knex, destroy } = await target.open());
    await knex.schema.createTable('counter', (t) => {
      t.increments('id');
      t.string('label', 50).notNullable();
      t.integer('n').notNullable();
    });
    await knex('counter').insert(Array.from({ length: UNTOUCHED }, (_, index) => ({ label: `start-${index + 1}`, n: -1 })));
    conexor = await createConexor(knex, {
      logger: pino({ level: 'silent' }),
      writes: true,
      audit: { sinks: [{ name: 'memory', write: async (batch) => void events.push(...batch) }] },
    });
    client = await connectClient(conexor.createServer());
  });

  afterAll(async () => {
    await client?.close();
    await conexor?.close();
    await destroy?.();
  });

  /** Every call answers; each answer is a change or a clear retryable refusal. */
  function classify(results: readonly CallToolResult[], changed: (result: CallToolResult) => void): { ok: number[]; retried: number[] } {
    const ok: number[] = [];
    const retried: number[] = [];
    results.forEach((result, index) => {
      if (result.isError) {
        expect(textOf(result), `call ${index}: only a retryable error may end a concurrent call`).toMatch(RETRYABLE);
        expect(textOf(result), `call ${index}: calls locking rows in key order deadlocked`).not.toMatch(CONFLICT);
        expect(textOf(result)).not.toMatch(/deadlock|database code|could not run/i);
        retried.push(index);
      } else {
        changed(result);
        ok.push(index);
      }
    });
    return { ok, retried };
  }

  it(`${CALLS} concurrent updates by key of one row: each ends, the row holds exactly one successful call's values`, async () => {
    const before = await tableRows(knex, 'counter');
    const seen = events.length;
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, index) => callTool(client, 'update_counter_by_id', { id: 1, set: { label: `v${index}`, n: index } })),
    );
    const { ok, retried } = classify(results, (result) => expect((result.structuredContent as { affected: number }).affected).toBe(1));
    expect(ok.length, `${retried.length} calls were refused as busy`).toBeGreaterThan(0);
    const after = await tableRows(knex, 'counter');
    const row = after.find((candidate) => Number(candidate.id) === 1) as PlainRow;
    const winner = Number(row.n);
    expect(ok, `final row ${JSON.stringify(row)}`).toContain(winner);
    expect(row.label).toBe(`v${winner}`);
    // Each successful call returned its own new values.
    for (const index of ok) {
      expect((results[index]?.structuredContent as { rows: PlainRow[] }).rows).toEqual([{ id: 1, label: `v${index}`, n: index }]);
    }
    expect(after.filter((candidate) => Number(candidate.id) !== 1)).toEqual(before.filter((candidate) => Number(candidate.id) !== 1));
    const recorded = events.slice(seen).filter((event) => event.tool === 'update_counter_by_id');
    expect(recorded).toHaveLength(CALLS);
    expect(recorded.filter((event) => event.outcome === 'ok')).toHaveLength(ok.length);
    console.log(`[write concurrency ${target.name}] by key: ${ok.length} ok, ${retried.length} retryable`);
  });

  it(`${CALLS} concurrent filtered updates over overlapping rows end consistent, refused ones change nothing`, async () => {
    const before = await tableRows(knex, 'counter');
    const seen = events.length;
    // Call i covers 5 consecutive rows of 2..12; every fifth call allows only 4 and must change nothing.
    const windows = Array.from({ length: CALLS }, (_, index) => {
      const low = (WINDOW_ROWS[0] as number) + (index % 7);
      return { index, low, high: low + 4, max: index % 5 === 4 ? 4 : 5 };
    });
    const results = await Promise.all(
      windows.map(({ index, low, high, max }) =>
        callTool(client, 'update_counter', { where: [{ field: 'id', op: 'between', value: [low, high] }], set: { label: `w${index}`, n: 1000 + index }, max_affected: max }),
      ),
    );
    const ok: number[] = [];
    results.forEach((result, index) => {
      const window = windows[index] as (typeof windows)[number];
      if (window.max === 4) {
        expect(textOf(result), `call ${index}: calls locking rows in key order deadlocked`).not.toMatch(CONFLICT);
        expect(result.isError, `call ${index} matches 5 rows with max_affected 4`).toBe(true);
        expect(textOf(result)).toMatch(new RegExp(`max_affected|${RETRYABLE.source}`, 'i'));
        return;
      }
      expect(textOf(result), `call ${index}: calls locking rows in key order deadlocked`).not.toMatch(CONFLICT);
      if (result.isError) {
        expect(textOf(result), `call ${index}`).toMatch(RETRYABLE);
        expect(textOf(result)).not.toMatch(/deadlock|database code|could not run/i);
        return;
      }
      expect((result.structuredContent as { affected: number }).affected).toBe(5);
      ok.push(index);
    });
    expect(ok.length).toBeGreaterThan(0);
    const after = await tableRows(knex, 'counter');
    const covers = (call: number, id: number) => id >= (windows[call]?.low ?? 0) && id <= (windows[call]?.high ?? -1);
    /** Per row, the call whose values it holds (`null`: unchanged). */
    const winners = new Map<number, number | null>();
    for (const row of after) {
      const id = Number(row.id);
      const old = before.find((candidate) => Number(candidate.id) === id);
      if (JSON.stringify(row) === JSON.stringify(old)) {
        expect(ok.some((call) => covers(call, id)), `row ${id} unchanged although a successful call covered it`).toBe(false);
        winners.set(id, null);
        continue;
      }
      const call = Number(row.n) - 1000;
      expect(ok, `row ${id} holds ${JSON.stringify(row)}: not a successful call's values`).toContain(call);
      expect(row.label).toBe(`w${call}`);
      expect(covers(call, id), `row ${id} changed by call ${call}, whose window does not cover it`).toBe(true);
      winners.set(id, call);
    }
    expect(winners.get(UNTOUCHED)).toBeNull();
    expect(winners.get(1)).toBeNull();
    // Serial order: a call covering a row some other call won ran before that winner; the order must have no cycle.
    const edges = new Map<number, Set<number>>();
    for (const [id, winner] of winners) {
      if (winner === null) continue;
      for (const call of ok) if (call !== winner && covers(call, id)) (edges.get(call) ?? edges.set(call, new Set()).get(call))?.add(winner);
    }
    expect(findCycle(edges), 'the final rows are not the result of any serial order of the successful calls').toBeNull();
    const recorded = events.slice(seen).filter((event) => event.tool === 'update_counter');
    expect(recorded).toHaveLength(CALLS);
    console.log(`[write concurrency ${target.name}] filtered: ${ok.length} ok of ${windows.filter((window) => window.max === 5).length}`);
  });
});

/** A cycle in a directed graph, as its nodes, or `null`. */
function findCycle(edges: ReadonlyMap<number, ReadonlySet<number>>): number[] | null {
  const state = new Map<number, 'open' | 'done'>();
  const path: number[] = [];
  const visit = (node: number): number[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe.each(['postgresql', 'mysql'] as const)('a deadlock with another session on %s', (dialect) => {
  it('ends the call with a clear retryable error, and the call changes nothing', async () => {
    const db = await createTestDatabase(dialect, 'cx_wdead');
    await db.knex.schema.createTable('counter', (t) => {
      t.increments('id');
      t.string('label', 50).notNullable();
      t.integer('n').notNullable();
    });
    await db.knex('counter').insert(Array.from({ length: 13 }, (_, index) => ({ label: `start-${index + 1}`, n: -1 })));
    const conexor = await createConexor(db.knex, { logger: pino({ level: 'silent' }), audit: false, writes: true });
    const client = await connectClient(conexor.createServer());
    try {
      // The host changes rows 5..13 (InnoDB rolls back the lighter transaction; PostgreSQL the first to check,
      // so the host checks late), the call then locks 1..4 and waits for 5, and the host asks for row 1. Whether a
      // transaction shows as waiting (INNODB_TRX) is not reliable on MariaDB: the rows being locked is.
      const host = await db.knex.transaction();
      try {
        if (dialect === 'postgresql') await host.raw("SET LOCAL deadlock_timeout = '20s'");
        await host('counter').whereBetween('id', [5, 13]).update({ n: 7 });
        const pending = callTool(client, 'update_counter', { where: [{ field: 'id', op: 'between', value: [1, 5] }], set: { label: 'dead' }, max_affected: 5 });
        // The call holds rows 1..4 (and waits for 5) once another session can lock none of them.
        const free = async () => rowsOfRaw(await db.knex.raw('SELECT id FROM counter WHERE id BETWEEN 1 AND 4 FOR UPDATE SKIP LOCKED')).length;
        await expect.poll(free, { timeout: 10_000, interval: 20 }).toBe(0);
        // Knex builders run when awaited: start this one now.
        const hostLock = host('counter').where('id', 1).update({ n: 8 }).then((count) => count);
        const result = await pending;
        expect(result.isError, textOf(result)).toBe(true);
        expect(textOf(result)).toMatch(/^Another call was changing the same rows at the same time, so this update was rolled back; nothing was changed\. Retry it\.$/);
        await hostLock;
        await host.commit();
      } catch (error) {
        await host.rollback().catch(() => undefined);
        throw error;
      }
      const rows = await tableRows(db.knex, 'counter');
      expect(rows.filter((row) => row.label === 'dead')).toEqual([]);
    } finally {
      await client.close();
      await conexor.close();
      await db.destroy();
    }
  });
});

function rowsOfRaw(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return (Array.isArray(result[0]) ? result[0] : result) as Record<string, unknown>[];
  return ((result as { rows?: unknown[] }).rows ?? []) as Record<string, unknown>[];
}
