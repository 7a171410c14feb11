import type { Knex } from 'knex';
import { dialectOf } from '../introspect/index.js';
import type { Dialect } from '../introspect/model.js';

/** Options of {@link createDemoShop} and {@link generateDemoShop}. */
export interface DemoShopOptions {
  /** Orders are spread over the ~6 months before this instant. @default the current time */
  now?: Date;
  /** Seed of the pseudo-random generator: the same seed and `now` give the same rows. @default 42 */
  seed?: number;
}

/** One customer row. */
export interface DemoCustomer {
  id: number;
  name: string;
  email: string;
  country: string;
  created_at: Date;
}

/** One product row; `price` is a decimal string with two fractional digits. */
export interface DemoProduct {
  id: number;
  sku: string;
  name: string;
  category: string;
  price: string;
}

/** One order row; `total` is the exact sum of its items' `quantity * unit_price`. */
export interface DemoOrder {
  id: number;
  customer_id: number;
  status: DemoOrderStatus;
  ordered_at: Date;
  total: string;
}

/** One order line. */
export interface DemoOrderItem {
  order_id: number;
  line_no: number;
  product_id: number;
  quantity: number;
  unit_price: string;
}

/** The statuses an order goes through. */
export type DemoOrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

/** Every row of the demo shop, before it is written. */
export interface DemoShopData {
  customers: DemoCustomer[];
  products: DemoProduct[];
  orders: DemoOrder[];
  orderItems: DemoOrderItem[];
}

/** How many rows each table gets (order items vary: 1–4 per order). */
export const DEMO_SHOP_SIZE = { customers: 50, products: 30, orders: 600 } as const;

/** The tables {@link createDemoShop} creates, in creation order. */
export const DEMO_SHOP_TABLES = ['customers', 'products', 'orders', 'order_items'] as const;

const DAY_MS = 86_400_000;
const ORDER_WINDOW_DAYS = 182;
/** Orders placed inside the last week regardless of chance, so "recent" questions always have answers. */
const RECENT_ORDERS = 15;

const COUNTRIES = ['United States', 'United Kingdom', 'Germany', 'France', 'Spain', 'Brazil', 'Japan', 'Canada'];
const FIRST_NAMES = ['Ana', 'Ben', 'Chloé', 'Diego', 'Emma', 'Felix', 'Grace', 'Hiro', 'Isabel', 'Jonas', 'Kenji', 'Lucía', 'Mia', 'Noah', 'Olivia', 'Pedro', 'Quinn', 'Rosa', 'Sofia', 'Tom'];
const LAST_NAMES = ['Almeida', 'Becker', 'Clarke', 'Dubois', 'Evans', 'Fischer', 'García', 'Hughes', 'Ito', 'Johnson', 'Kim', 'Laurent', 'Martin', 'Nakamura', 'Oliveira', 'Petit', 'Rossi', 'Schmidt', 'Tanaka', 'Walker'];

/** Name and price in cents of every product, six per category. */
const CATALOG: Record<string, readonly (readonly [string, number])[]> = {
  Coffee: [['Espresso Beans 1kg', 2490], ['Decaf House Blend 500g', 1390], ['Ethiopia Yirgacheffe 250g', 1150], ['Colombia Supremo 500g', 1690], ['Cold Brew Pack', 1290], ['Single-Origin Sampler', 3450]],
  Equipment: [['Burr Grinder', 8900], ['Pour-Over Dripper', 2400], ['French Press 1L', 3200], ['Milk Frother', 4500], ['Gooseneck Kettle', 5900], ['Digital Scale', 2750]],
  Tea: [['Sencha Green Tea', 990], ['Earl Grey', 850], ['Chamomile', 790], ['Masala Chai', 1100], ['Jasmine Pearls', 1890], ['Rooibos', 820]],
  Accessories: [['Ceramic Mug', 1450], ['Travel Tumbler', 2290], ['Paper Filters (100)', 499], ['Cleaning Tablets', 1099], ['Coffee Canister', 1850], ['Barista Towel', 650]],
  Snacks: [['Almond Biscotti', 599], ['Dark Chocolate Bar', 349], ['Shortbread Tin', 1250], ['Granola Bites', 475], ['Salted Caramels', 899], ['Oat Cookies', 425]],
};

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; enough for demo data and fully reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const cents = (amount: number) => `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
// Whole seconds: MySQL DATETIME keeps no fraction by default, and every dialect must hold the same values.
const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/** The status an order of this age plausibly has. */
function statusFor(ageDays: number, random: () => number): DemoOrderStatus {
  const roll = random();
  if (roll < 0.06) return 'cancelled';
  if (ageDays < 2) return roll < 0.5 ? 'pending' : 'paid';
  if (ageDays < 7) return roll < 0.3 ? 'paid' : 'shipped';
  if (ageDays < 14) return roll < 0.4 ? 'shipped' : 'delivered';
  return 'delivered';
}

/**
 * The demo shop's rows, computed without a database: deterministic for a given `seed` and `now`. Prices and
 * totals are computed in integer cents, so every total is exactly the sum of its items.
 */
export function generateDemoShop(options: DemoShopOptions = {}): DemoShopData {
  const now = options.now ?? new Date();
  const random = mulberry32(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

  const customers = Array.from({ length: DEMO_SHOP_SIZE.customers }, (_, index): DemoCustomer => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase();
    return {
      id: index + 1,
      name: `${first} ${last}`,
      // The index keeps emails unique however the names fall.
      email: `${local}${index + 1}@example.com`,
      // Round-robin, so every country is represented whatever the seed.
      country: COUNTRIES[index % COUNTRIES.length] as string,
      created_at: wholeSeconds(now.getTime() - between(ORDER_WINDOW_DAYS + 10, 400) * DAY_MS - between(0, DAY_MS - 1)),
    };
  });

  const priceInCents: number[] = [];
  const products = Object.entries(CATALOG).flatMap(([category, items]) =>
    items.map(([name, price]): DemoProduct => {
      priceInCents.push(price);
      const id = priceInCents.length;
      return { id, sku: `SKU-${String(id).padStart(4, '0')}`, name, category, price: cents(price) };
    }),
  );

  const orderTimes = Array.from({ length: DEMO_SHOP_SIZE.orders }, (_, index) => {
    const ageMs = index < RECENT_ORDERS ? random() * 6.5 * DAY_MS + 60_000 : random() * ORDER_WINDOW_DAYS * DAY_MS;
    return wholeSeconds(now.getTime() - ageMs);
  }).sort((a, b) => a.getTime() - b.getTime());

  const orders: DemoOrder[] = [];
  const orderItems: DemoOrderItem[] = [];
  orderTimes.forEach((orderedAt, index) => {
    const id = index + 1;
    const lineCount = between(1, 4);
    const productIds = new Set<number>();
    while (productIds.size < lineCount) productIds.add(between(1, products.length));
    let total = 0;
    [...productIds].forEach((productId, line) => {
      const quantity = random() < 0.7 ? 1 : between(2, 5);
      const unitPrice = priceInCents[productId - 1] as number;
      total += quantity * unitPrice;
      orderItems.push({ order_id: id, line_no: line + 1, product_id: productId, quantity, unit_price: cents(unitPrice) });
    });
    const ageDays = (now.getTime() - orderedAt.getTime()) / DAY_MS;
    orders.push({
      id,
      customer_id: between(1, customers.length),
      status: statusFor(ageDays, random),
      ordered_at: orderedAt,
      total: cents(total),
    });
  });

  return { customers, products, orders, orderItems };
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
function utcText(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * How a timestamp is written: PostgreSQL columns are `timestamptz`, so an instant; MySQL `DATETIME` and SQLite
 * text hold a wall clock, written in UTC so neither the driver's nor the session's time zone shifts it.
 */
function timestamp(dialect: Dialect, date: Date): Date | string {
  return dialect === 'postgresql' ? date : utcText(date);
}

/** Exact money: `decimal` in every dialect (Knex would make SQLite's `decimal` a `float`). */
const MONEY = 'decimal(10,2)';

async function createTables(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (table) => {
    table.comment('People who shop in the store');
    table.increments('id');
    table.string('name', 100).notNullable().comment('Full name');
    table.string('email', 255).notNullable().unique().comment('Login and contact address');
    table.string('country', 60).notNullable().comment('Country name in English, e.g. Germany');
    table.dateTime('created_at').notNullable().comment('When the account was opened (UTC)');
  });
  await knex.schema.createTable('products', (table) => {
    table.comment('Items for sale');
    table.increments('id');
    table.string('sku', 20).notNullable().unique().comment('Stock keeping unit');
    table.string('name', 100).notNullable();
    table.string('category', 40).notNullable().comment('One of Coffee, Equipment, Tea, Accessories, Snacks');
    table.specificType('price', MONEY).notNullable().comment('Current list price in USD');
  });
  await knex.schema.createTable('orders', (table) => {
    table.comment('Orders placed by customers');
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable().references('id').inTable('customers');
    table.string('status', 20).notNullable().comment('pending, paid, shipped, delivered or cancelled');
    table.dateTime('ordered_at').notNullable().comment('When the order was placed (UTC)');
    table.specificType('total', MONEY).notNullable().comment('Sum of quantity * unit_price over the order items, in USD');
    table.index(['ordered_at']);
  });
  await knex.schema.createTable('order_items', (table) => {
    table.comment('Lines of an order');
    table.integer('order_id').unsigned().notNullable().references('id').inTable('orders');
    table.integer('line_no').notNullable().comment('Position of the line in its order, from 1');
    table.integer('product_id').unsigned().notNullable().references('id').inTable('products');
    table.integer('quantity').notNullable();
    table.specificType('unit_price', MONEY).notNullable().comment('Price of one unit when the order was placed, in USD');
    table.primary(['order_id', 'line_no']);
  });
}

async function insertChunked(trx: Knex.Transaction, table: string, rows: readonly object[]): Promise<void> {
  // Chunks stay far below every driver's bind-parameter limit.
  for (let start = 0; start < rows.length; start += 200) {
    await trx(table).insert(rows.slice(start, start + 200));
  }
}

/**
 * Creates and fills a small shop database — `customers`, `products`, `orders`, `order_items` — with portable
 * DDL (SQLite, PostgreSQL, MySQL/MariaDB) in the connection's default schema. Rows come from
 * {@link generateDemoShop}: ~50 customers in 8 countries, 30 products, 600 orders over the ~6 months before
 * `now` (some in the last 7 days). Fails if one of the tables already exists; it never drops anything.
 */
export async function createDemoShop(knex: Knex, options: DemoShopOptions = {}): Promise<void> {
  const dialect = dialectOf(knex);
  const data = generateDemoShop(options);
  await createTables(knex);
  await knex.transaction(async (trx) => {
    await insertChunked(trx, 'customers', data.customers.map((row) => ({ ...row, created_at: timestamp(dialect, row.created_at) })));
    await insertChunked(trx, 'products', data.products);
    await insertChunked(trx, 'orders', data.orders.map((row) => ({ ...row, ordered_at: timestamp(dialect, row.ordered_at) })));
    await insertChunked(trx, 'order_items', data.orderItems);
    if (dialect === 'postgresql') {
      // Explicit ids do not advance a serial's sequence; without this the next plain insert would collide.
      for (const table of ['customers', 'products', 'orders']) {
        await trx.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT max(id) FROM ??))`, [table, table]);
      }
    }
  });
}
