import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

/**
 * Proof files that load the machine on purpose (thousands of concurrent calls, killed connections, corpus and
 * property runs, a build and an install of the packed package). They run after every other file, one at a time, so
 * they never starve the suite nor each other on a 2-core machine.
 */
const PROOFS = [
  'test/proof/load.test.ts',
  'test/proof/faults.test.ts',
  'test/security/injection-corpus.test.ts',
  'test/security/fuzz.test.ts',
  'test/proof/write-concurrency.test.ts',
  'test/security/write-injection.test.ts',
  'test/security/write-fuzz.test.ts',
  'test/package/package.test.ts',
];

export default defineConfig({
  // Examples import the package by name, as a host app would; in tests that name points at the sources.
  resolve: {
    alias: [
      { find: /^conexor$/, replacement: src('index.ts') },
      { find: /^conexor\/(express|hono|stdio)$/, replacement: src('adapters/$1.ts') },
    ],
  },
  test: {
    // The default logger and audit sink write to stderr; suites pass their own loggers where output matters.
    env: { CONEXOR_LOG_LEVEL: 'silent' },
    // Hang guards, not speed checks: nothing in the suite asserts how fast something is (see bench/).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: PROOFS,
          // Suites create their own databases, so files run in parallel.
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'proofs', include: PROOFS, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
