import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

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
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Suites create their own databases; running files in parallel is safe but the machine has 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
