import type { Command } from 'commander';
import { estimateTokens } from '../../catalog/budget.js';
import { createConexor } from '../../conexor.js';
import { openDatabase, parseDatabaseTarget } from '../database.js';
import { formatTable } from '../format.js';
import { addPolicyOptions, databaseOption, inFlagTerms, resolveSettings, withLogging, type PolicyFlags } from '../options.js';


/** Registers `tools`: what a client would see in `tools/list`, and what it costs in context. */
export function registerToolsCommand(program: Command): void {
  const command = program
    .command('tools')
    .description('list the tools generated for a database, with their size in bytes and approximate tokens')
    .addHelpText(
      'after',
      `
Takes the same settings as serve (flags, --config file, environment), so it shows what serve would list.

Examples:
  $ conexor tools --db ./shop.sqlite
  $ conexor tools --db postgres://app@db/shop --schema sales --catalog auto --budget-tokens 4000
  $ conexor tools --db ./shop.sqlite --config conexor.json --json > tools.json
`,
    )
    .addOption(databaseOption());
  addPolicyOptions(command)
    .option('--json', 'print the full tools/list result as JSON')
    .action(async (flags: PolicyFlags & { db: string; json?: boolean }, cmd: Command) => {
      // The config file is read before the database is opened: its mistakes are usage errors, found at once.
      const settings = resolveSettings(flags, cmd);
      const knex = await openDatabase(parseDatabaseTarget(flags.db));
      try {
        // Listing runs no call: nothing to audit.
        const conexor = await createConexor(knex, withLogging({ ...settings, audit: { sink: { kind: 'off' }, values: undefined } })).catch(
          (error: unknown) => {
            throw inFlagTerms(error, flags);
          },
        );
        const { tools } = conexor;
        await conexor.close();
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
