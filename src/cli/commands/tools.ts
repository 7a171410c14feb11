import type { Command } from 'commander';
import { estimateTokens } from '../../catalog/budget.js';
import { createConexor } from '../../conexor.js';
import { openDatabase, parseDatabaseTarget } from '../database.js';
import { formatTable } from '../format.js';
import { addPolicyOptions, databaseOption, policyOptions, type PolicyFlags } from '../options.js';


/** Registers `tools`: what a client would see in `tools/list`, and what it costs in context. */
export function registerToolsCommand(program: Command): void {
  const command = program
    .command('tools')
    .description('list the tools generated for a database, with their size in bytes and approximate tokens')
    .addOption(databaseOption());
  addPolicyOptions(command)
    .option('--json', 'print the full tools/list result as JSON')
    .action(async (flags: PolicyFlags & { db: string; json?: boolean }) => {
      const knex = await openDatabase(parseDatabaseTarget(flags.db));
      try {
        const { tools } = await createConexor(knex, policyOptions(flags));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ tools }, null, 2)}\n`);
          return;
        }
        const rows = tools.map((tool) => {
          const json = JSON.stringify(tool);
          return [tool.name, `${Buffer.byteLength(json)} B`, `~${estimateTokens(json)} tokens`];
        });
        // The whole tools/list payload, as a client receives it; tokens are conexor's estimate (see docs/catalog.md).
        const payload = JSON.stringify({ tools });
        process.stdout.write(`${formatTable(['TOOL', 'BYTES', 'TOKENS'], rows)}\n`);
        process.stdout.write(`Total: ${tools.length} tools, ${Buffer.byteLength(payload)} B, ~${estimateTokens(payload)} tokens\n`);
        if (tools.length === 0) process.stderr.write('No tables matched: check --schema, --include and --exclude.\n');
      } finally {
        await knex.destroy();
      }
    });
}
