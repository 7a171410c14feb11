import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conexor } from '../../src/index.js';
import { createConexor } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { countTokens, listingTokens, o200kEncoder } from './tokens.js';

// Reference ids from OpenAI's tiktoken (Python) for o200k_base: an upgrade that changes the encoding fails here.
describe('o200k_base token counts', () => {
  it('matches tiktoken on known texts', () => {
    expect(o200kEncoder().encode('hello world')).toEqual([24912, 2375]);
    expect(o200kEncoder().encode('tiktoken is great!')).toEqual([83, 8251, 2488, 382, 2212, 0]);
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('tiktoken is great!')).toBe(6);
    expect(countTokens('')).toBe(0);
  });

  it('counts special-token text as ordinary text', () => {
    expect(countTokens('<|endoftext|> hi')).toBe(o200kEncoder().encode('<|endoftext|> hi', [], []).length);
  });

  it('counts piece by piece exactly as encoding the whole text', () => {
    for (const text of ['  x\n\n  y  \t\n', '東京 naïve café — 12345678', "it's 2026-11-24T10:15:00Z, isn't it?", '{"a":[1,2,{"b":"c d"}]}\n  ']) {
      expect(countTokens(text)).toBe(o200kEncoder().encode(text).length);
    }
  });

  describe('on a real tools/list', () => {
    let db: TestDatabase;
    let conexor: Conexor;
    beforeAll(async () => {
      db = await createTestDatabase('sqlite');
      await db.knex.schema.createTable('customers', (table) => {
        table.increments('id');
        table.string('email').unique();
        table.string('country');
        table.dateTime('created_at');
      });
      await db.knex.schema.createTable('orders', (table) => {
        table.increments('id');
        table.integer('customer_id').references('customers.id');
        table.decimal('total', 10, 2);
        table.boolean('paid');
      });
      conexor = await createConexor(db.knex, { audit: false });
    });
    afterAll(async () => {
      await conexor?.close();
      await db?.destroy();
    });

    it('gives the tokens of {"tools": [...]}', () => {
      const text = JSON.stringify({ tools: conexor.tools });
      const tokens = listingTokens(conexor.tools);
      expect(tokens).toBe(o200kEncoder().encode(text).length);
      expect(tokens).toBe(countTokens(text));
      // Several characters per token in JSON Schema: a sanity bound, not a figure.
      expect(text.length / tokens).toBeGreaterThan(2.5);
      expect(text.length / tokens).toBeLessThan(6);
    });
  });
});
