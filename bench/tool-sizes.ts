/**
 * Size of the generated tool list for the Chinook sample database on each dialect, in every catalog mode, read-only
 * and with `writes: true`: bytes and o200k_base tokens (js-tiktoken) of the `tools/list` result, conexor's own
 * estimate, and bytes per tool kind.
 *
 *   npx tsx bench/tool-sizes.ts
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createConexor } from '../src/index.js';
import { estimateTokens } from '../src/catalog/budget.js';
import { loadChinook } from '../test/support/chinook.js';
import { DIALECTS, createTestDatabase } from '../test/support/databases.js';
import { countTokens } from '../test/support/tokens.js';

/** Chinook's tools/list before the budgeted catalog (issue 9), in o200k tokens. */
const BEFORE_TOKENS = 25_818;

function kindOf(name: string): string {
  if (['search_tables', 'query', 'count', 'aggregate', 'insert', 'update', 'delete'].includes(name)) return 'generic';
  if (/^(insert|update|delete)_/.test(name)) return name.split('_')[0] ?? 'write';
  if (name.startsWith('count_')) return 'count';
  if (name.startsWith('aggregate_')) return 'aggregate';
  return name.includes('_by_') ? 'lookup' : 'query';
}

for (const dialect of DIALECTS) {
  const db = await createTestDatabase(dialect, 'cx_bench');
  try {
    await loadChinook(db.knex, dialect);
    for (const [mode, writes] of [['auto', false], ['typed', false], ['compact', false], ['auto', true], ['typed', true], ['compact', true]] as const) {
      const conexor = await createConexor(db.knex, { catalog: { mode }, audit: false, writes });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const client = new Client({ name: 'sizes', version: '1' });
      await Promise.all([conexor.createServer().connect(serverSide), client.connect(clientSide)]);
      const listed = await client.listTools();
      const text = JSON.stringify(listed);
      const tokens = countTokens(text);
      const kinds: Record<string, number> = {};
      for (const tool of listed.tools) kinds[kindOf(tool.name)] = (kinds[kindOf(tool.name)] ?? 0) + Buffer.byteLength(JSON.stringify(tool));
      console.log(
        `${dialect.padEnd(10)} ${mode.padEnd(7)} ${writes ? 'writes' : 'reads '} ${String(listed.tools.length).padStart(3)} tools, ${Buffer.byteLength(text)} B, ${tokens} o200k tokens ` +
          `(estimate ${estimateTokens(text)}, ${(estimateTokens(text) / tokens).toFixed(2)}×; before ${BEFORE_TOKENS}: ${(BEFORE_TOKENS / tokens).toFixed(1)}× less); ` +
          Object.entries(kinds).map(([kind, bytes]) => `${kind} ${bytes} B`).join(', '),
      );
      await client.close();
      await conexor.close();
    }
  } finally {
    await db.destroy();
  }
}
