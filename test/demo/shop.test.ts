import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConexor } from '../../src/index.js';
import { DEMO_SHOP_SIZE, createDemoShop, generateDemoShop } from '../../src/demo/shop.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const NOW = new Date('2025-03-10T15:30:00Z');
const WEEK_AGO = new Date(NOW.getTime() - 7 * 86_400_000);
const HALF_YEAR_AGO = new Date(NOW.getTime() - 190 * 86_400_000);

/** Timestamps as the demo stores them: PostgreSQL instants, elsewhere UTC wall clocks. */
function at(db: TestDatabase, date: Date): Date | string {
  return db.dialect === 'postgresql' ? date : date.toISOString().slice(0, 19).replace('T', ' ');
}

async function count(query: Promise<Record<string, unknown>[]>): Promise<number> {
  const [row] = await query;
  return Number(Object.values(row ?? {})[0]);
}

describe('generateDemoShop', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateDemoShop({ now: NOW, seed: 7 });
    expect(generateDemoShop({ now: NOW, seed: 7 })).toEqual(a);
    expect(generateDemoShop({ now: NOW, seed: 8 }).orders).not.toEqual(a.orders);
  });
});

describe.each(DIALECTS)('createDemoShop on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cx_shop');
    await createDemoShop(db.knex, { now: NOW, seed: 7 });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('has the documented row counts', async () => {
    const { knex } = db;
    expect(await count(knex('customers').count('* as n'))).toBe(DEMO_SHOP_SIZE.customers);
    expect(await count(knex('products').count('* as n'))).toBe(DEMO_SHOP_SIZE.products);
    expect(await count(knex('orders').count('* as n'))).toBe(DEMO_SHOP_SIZE.orders);
    const items = await count(knex('order_items').count('* as n'));
    expect(items).toBeGreaterThanOrEqual(DEMO_SHOP_SIZE.orders);
    expect(items).toBeLessThanOrEqual(DEMO_SHOP_SIZE.orders * 4);
  });

  it('spreads customers over at least six countries', async () => {
    expect(await count(db.knex('customers').countDistinct('country as n'))).toBeGreaterThanOrEqual(6);
  });

  it('places orders in the last 7 days and none outside the last ~6 months', async () => {
    const { knex } = db;
    const recent = await count(knex('orders').where('ordered_at', '>=', at(db, WEEK_AGO)).count('* as n'));
    expect(recent).toBeGreaterThanOrEqual(10);
    expect(recent).toBeLessThan(DEMO_SHOP_SIZE.orders / 4);
    expect(await count(knex('orders').where('ordered_at', '>', at(db, NOW)).count('* as n'))).toBe(0);
    expect(await count(knex('orders').where('ordered_at', '<', at(db, HALF_YEAR_AGO)).count('* as n'))).toBe(0);
  });

  it('makes every order total the sum of its items', async () => {
    const { knex } = db;
    // Compared in cents, so SQLite's floating-point decimals cannot blur a real mismatch.
    const mismatched = await count(
      knex
        .from('orders as o')
        .whereRaw(
          'ROUND(o.total * 100) <> (SELECT ROUND(SUM(i.quantity * i.unit_price) * 100) FROM order_items i WHERE i.order_id = o.id)',
        )
        .count('* as n'),
    );
    const empty = await count(knex('orders as o').whereNotExists(knex('order_items as i').whereRaw('i.order_id = o.id')).count('* as n'));
    expect(mismatched).toBe(0);
    expect(empty).toBe(0);
    const [sums] = await knex('orders').sum('total as total');
    expect(Number(sums?.total)).toBeGreaterThan(0);
  });

  it('stores exactly the generated rows, so the same seed gives the same database', async () => {
    const expected = generateDemoShop({ now: NOW, seed: 7 });
    const orders = await db.knex('orders').select('id', 'customer_id', 'status', 'total').orderBy('id');
    expect(orders.map((row) => ({ ...row, total: Number(row.total).toFixed(2) }))).toEqual(
      expected.orders.map(({ id, customer_id, status, total }) => ({ id, customer_id, status, total })),
    );
    const emails = await db.knex('customers').orderBy('id').pluck('email');
    expect(emails).toEqual(expected.customers.map((customer) => customer.email));
  });

  it('keeps auto-increment ids usable after the explicit ids', async () => {
    const row = { sku: 'SKU-NEW', name: 'New', category: 'Tea', price: '1.00' };
    // Only PostgreSQL needs RETURNING for the new id; MySQL would warn that it ignores it.
    const query = db.knex('products').insert(row);
    const [id] = (await (dialect === 'postgresql' ? query.returning('id') : query)) as unknown[];
    const value = typeof id === 'object' && id !== null ? (id as { id: number }).id : id;
    expect(Number(value)).toBe(DEMO_SHOP_SIZE.products + 1);
    await db.knex('products').where('sku', 'SKU-NEW').delete();
  });

  it('serves tools whose descriptions carry the comments where the dialect keeps them', async () => {
    const conexor = await createConexor(db.knex);
    const names = conexor.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['query_customers', 'query_orders', 'query_order_items', 'query_products']));
    const orders = conexor.tools.find((tool) => tool.name === 'query_orders');
    if (dialect !== 'sqlite') expect(orders?.description).toContain('Orders placed by customers');
    const result = await conexor.callTool('query_orders', { limit: 1 });
    expect(result.isError).toBeFalsy();
  });
});
