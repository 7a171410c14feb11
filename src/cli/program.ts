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
    .exitOverride();
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
