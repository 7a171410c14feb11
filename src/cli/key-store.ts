import type { Knex } from 'knex';
import { StaticApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from '../auth/api-keys.js';
import { KnexApiKeyStore } from '../auth/knex-store.js';
import { UsageError, describeError } from './errors.js';
import { redact } from './redact.js';

/** Looks a key up in each store in turn; the first that knows the id answers. */
export class CombinedApiKeyStore implements ApiKeyStore {
  constructor(private readonly stores: readonly ApiKeyStore[]) {}

  async find(id: string): Promise<ApiKeyRecord | null> {
    for (const store of this.stores) {
      const record = await store.find(id);
      if (record) return record;
    }
    return null;
  }

  async touch(id: string, at: Date): Promise<void> {
    // Touching a store that lacks the id is a no-op (a zero-row update, a map entry), so no bookkeeping of owners.
    await Promise.all(this.stores.map((store) => store.touch(id, at)));
  }
}

/** The keys `serve --http` and `demo` accept, and how many are usable right now. */
export interface ServingKeys {
  readonly store: ApiKeyStore;
  /** Keys neither revoked nor expired, from the table and `CONEXOR_API_KEYS`. */
  readonly active: number;
}

/**
 * Keys from `CONEXOR_API_KEYS` plus the key table in `knex`, if that table exists (a missing table simply holds
 * no keys; serving does not create it).
 */
export async function servingKeys(knex: Knex, table: string, environment: string | undefined, now = new Date()): Promise<ServingKeys> {
  let fromEnvironment: StaticApiKeyStore;
  try {
    // The table may hold every key: an unset CONEXOR_API_KEYS is fine here; `serve` refuses when no key exists at all.
    fromEnvironment = StaticApiKeyStore.fromEnvironment(environment, { allowEmpty: true });
  } catch (error) {
    throw new UsageError(`CONEXOR_API_KEYS: ${error instanceof Error ? error.message : String(error)}`);
  }
  const environmentCount = (environment ?? '').split(/[\s,]+/).filter(Boolean).length;
  if (!(await knex.schema.hasTable(table))) return { store: fromEnvironment, active: environmentCount };
  const fromTable = new KnexApiKeyStore(knex, {
    table,
    // A failed last-used write must not fail the request, but the operator should hear of it.
    onError: (error, { keyId }) => process.stderr.write(`warning: could not record use of API key ${keyId}: ${redact(describeError(error))}\n`),
  });
  const usable = (await fromTable.list()).filter(
    (record) => !(record.revokedAt && record.revokedAt <= now) && !(record.expiresAt && record.expiresAt <= now),
  );
  return { store: new CombinedApiKeyStore([fromEnvironment, fromTable]), active: environmentCount + usable.length };
}
