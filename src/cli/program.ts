import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerDemoCommand } from './commands/demo.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerServeCommand } from './commands/serve.js';
import { registerToolsCommand } from './commands/tools.js';
import { reportError } from './errors.js';

// From src/cli or dist/cli alike, the package root is two levels up.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The `conexor` command tree. Commander throws instead of exiting, so {@link run} decides every exit code. */
export function createProgram(): Command {
  const program = new Command('conexor')
    .description('Serve a database as MCP tools: safe, typed, read-only access for AI models.')
    .version(version, '-v, --version')
    .exitOverride()
    .addHelpText(
      'after',
      `
Environment:
  CONEXOR_DB         default for --db (keeps a password out of process listings and client configs)
  CONEXOR_LOG_LEVEL  default for --log-level: fatal, error, warn (default), info, debug, trace or silent
  CONEXOR_API_KEYS   extra API keys serve --http accepts, separated by commas or spaces

Examples:
  $ conexor demo
  $ conexor tools --db ./shop.sqlite
  $ conexor serve --db postgres://app@localhost:5432/shop --config conexor.json
  $ conexor keys generate --name ci

Run "conexor <command> --help" for a command's flags; docs/cli.md has them all.
`,
    );
  registerServeCommand(program);
  registerToolsCommand(program);
  registerKeysCommands(program);
  registerDemoCommand(program);
  return program;
}

/** Runs the CLI on `argv` (as `process.argv`) and returns the exit code: 0, 1 (failure) or 2 (usage). */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    return reportError(error);
  }
}
