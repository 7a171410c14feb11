/**
 * Checks the package as npm would publish it: packs it once (`prepack` builds `dist/`), then lints the tarball
 * with publint (`--strict`: warnings fail too) and checks its type declarations with Are the Types Wrong under the
 * ESM-only profile (conexor ships no CommonJS build, so `require` and node10 resolutions are out of scope).
 *
 *   npm run check:package
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`check:package: ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

const destination = mkdtempSync(join(tmpdir(), 'conexor-check-package-'));
try {
  run('npm', ['pack', '--pack-destination', destination]);
  const tarballs = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${destination}`);
  const tarball = join(destination, tarballs[0] as string);
  run('publint', ['run', tarball, '--strict']);
  run('attw', [tarball, '--profile', 'esm-only']);
} finally {
  rmSync(destination, { recursive: true, force: true });
}
