import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, createTestDatabase, type TestDatabase } from './databases.js';
import { chinookScript, loadChinook } from './chinook.js';

describe('a missing Chinook folder', () => {
  it('is reported with the variable that sets it', () => {
    expect(() => chinookScript('postgresql', '/nonexistent/chinook')).toThrow(
      'Chinook script not found: /nonexistent/chinook/Chinook_PostgreSql.sql. Set CONEXOR_CHINOOK_DIR to the folder holding',
    );
  });
});

describe.each(DIALECTS)('Chinook loads on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await loadChinook(db.knex, dialect);
  }, 120_000);
  afterAll(() => db?.destroy());

  it('has every track', async () => {
    const table = dialect === 'postgresql' ? 'track' : 'Track';
    const [row] = await db.knex(table).count({ n: '*' });
    expect(Number(row?.n)).toBe(3503);
  });
});
