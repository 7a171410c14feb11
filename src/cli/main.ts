#!/usr/bin/env node
/**
 * The `conexor` command: `serve`, `tools`, `keys` and `demo`. See `conexor --help`.
 * @module
 */
import type * as Program from './program.js';

/**
 * The command tree, or one line naming the package to install. knex, zod and @modelcontextprotocol/sdk are peer
 * dependencies: npm 7+ installs them with conexor, but yarn 1 and `--legacy-peer-deps` do not, and Node would print
 * a stack trace.
 */
async function loadProgram(): Promise<typeof Program> {
  try {
    return await import('./program.js');
  } catch (error) {
    const missing = error instanceof Error && /Cannot find package '([^']+)'/.exec(error.message)?.[1];
    if (!missing) throw error;
    process.stderr.write(`error: conexor needs the package ${missing}, which is not installed: npm install ${missing}\n`);
    process.exit(1);
  }
}

const { run } = await loadProgram();
const code = await run(process.argv);
process.exitCode = code;
// A finished command must end even if a driver left a socket or timer behind; the grace period lets stdout drain.
setTimeout(() => process.exit(code), 2_000).unref();
