#!/usr/bin/env node
/**
 * The `conexor` command: `serve`, `tools`, `keys` and `demo`. See `conexor --help`.
 * @module
 */
import { run } from './program.js';

const code = await run(process.argv);
process.exitCode = code;
// A finished command must end even if a driver left a socket or timer behind; the grace period lets stdout drain.
setTimeout(() => process.exit(code), 2_000).unref();
