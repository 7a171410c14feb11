import type { Knex } from 'knex';
import { expect } from 'vitest';
import { toQueryError } from '../../src/execute/errors.js';
import type { ReadOnlyRunner } from '../../src/execute/read-only.js';

/** An insert, an update and a delete on `table` inside the runner's session: each must be refused as read-only. */
export async function expectWritesRefused(runner: ReadOnlyRunner, table: string): Promise<void> {
  const attempts: ((builder: Knex.QueryBuilder) => Knex.QueryBuilder)[] = [
    (builder) => builder.insert({ body: 'x' }).into(table),
    (builder) => builder.update({ body: 'x' }).from(table),
    (builder) => builder.delete().from(table),
  ];
  for (const attempt of attempts) {
    const error = await runner.run((session) => attempt(session.builder())).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error, 'write must be rejected').not.toBeNull();
    expect(toQueryError(error).code).toBe('read_only');
  }
}
