/**
 * Size of the generated tool list for the Chinook sample database on each dialect: bytes of the `tools/list`
 * result and a rough token estimate (bytes / 4), per tool kind.
 *
 *   npx tsx bench/tool-sizes.ts
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createConexor } from '../src/index.js';
import { loadChinook } from '../test/support/chinook.js';
import { DIALECTS, createTestDatabase } from '../test/support/databases.js';

for (const dialect of DIALECTS) {
  const db = await createTestDatabase(dialect, 'cx_bench');
  try {
    await loadChinook(db.knex, dialect);
    const conexor = await createConexor(db.knex);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'sizes', version: '1' });
    await Promise.all([conexor.createServer().connect(serverSide), client.connect(clientSide)]);
    const listed = await client.listTools();
    const bytes = Buffer.byteLength(JSON.stringify(listed));
    const kinds = { query: 0, lookup: 0, count: 0, aggregate: 0 };
    for (const tool of listed.tools) {
      const kind = tool.name.startsWith('count_')
        ? 'count'
        : tool.name.startsWith('aggregate_')
          ? 'aggregate'
          : tool.name.includes('_by_')
            ? 'lookup'
            : 'query';
      kinds[kind] += Buffer.byteLength(JSON.stringify(tool));
    }
    console.log(
      `${dialect.padEnd(10)} ${listed.tools.length} tools, tools/list ${bytes} bytes (~${Math.round(bytes / 4)} tokens);` +
        ` query ${kinds.query}, lookup ${kinds.lookup}, count ${kinds.count}, aggregate ${kinds.aggregate} bytes`,
    );
    await client.close();
  } finally {
    await db.destroy();
  }
}
