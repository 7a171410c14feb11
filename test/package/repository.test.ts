/** What the commands write into a checkout stays out of git. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The patterns of the repository's .gitignore that match a file name anywhere (no slash inside). */
function ignoredName(name: string): boolean {
  const patterns = readFileSync(`${ROOT}/.gitignore`, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!') && !line.replace(/\/$/, '').includes('/'));
  return patterns.some((pattern) => picomatch(pattern.replace(/\/$/, ''), { dot: true })(name));
}

describe('.gitignore', () => {
  it('ignores the demo database `npm run demo` writes, with its SQLite side files', () => {
    const demo = createProgram().commands.find((command) => command.name() === 'demo');
    const file = demo?.options.find((option) => option.long === '--file')?.defaultValue as string | undefined;
    expect(file).toMatch(/\.sqlite$/);
    for (const suffix of ['', '-journal', '-wal', '-shm']) expect(ignoredName(`${basename(file as string)}${suffix}`), suffix).toBe(true);
    expect(ignoredName('shop.sqlite')).toBe(false);
  });
});
