/**
 * Every relative link in the published Markdown (README, CHANGELOG, docs/) must lead to a file that is published too,
 * and an anchor to a heading of that file: a reader of the package on npm or in node_modules has nothing else.
 * Links to the repository's other files (examples/, src/) are absolute GitHub URLs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The files `npm pack` would publish (scripts ignored: listing needs no build). */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  const [pack] = JSON.parse(output) as [{ files: { path: string }[] }];
  return pack.files.map((file) => file.path);
}

/** The Markdown without fenced code blocks and code spans, where `[a](b)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** Link targets: inline links and images, reference definitions, and HTML `href` / `src`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1] as string);
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(match[1] as string);
  for (const match of text.matchAll(/\b(?:href|src)\s*=\s*"([^"]+)"/g)) targets.push(match[1] as string);
  return targets;
}

/** The anchors GitHub and npm give the headings of a Markdown file. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = (match[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

describe('links in the published documentation', () => {
  const files = packedFiles();
  const published = new Set(files);
  const markdown = files.filter((file) => file.endsWith('.md'));

  it('publishes the documentation', () => {
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/getting-started.md', 'docs/claude.md']));
  });

  it('lead to published files and existing headings', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      for (const target of linkTargets(readFileSync(join(ROOT, file), 'utf8'))) {
        if (EXTERNAL.test(target)) continue;
        checked++;
        const [path = '', anchor] = target.split('#', 2);
        const resolved = path === '' ? file : posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(path)));
        if (!published.has(resolved)) {
          broken.push(`${file}: ${target} (${resolved} is not published)`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md')) {
          const anchors = headingAnchors(readFileSync(join(ROOT, resolved), 'utf8'));
          if (!anchors.has(decodeURIComponent(anchor))) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
    // The docs do link to each other: a parser that found nothing would pass vacuously.
    expect(checked).toBeGreaterThan(30);
  });

  it('finds links the way a Markdown renderer does', () => {
    const sample = [
      'See [policy](policy.md#limits) and ![logo](img/logo.png "Logo").',
      '[ref]: ../examples/app.ts',
      '<a href="src/index.ts">source</a>',
      '`[not](a-link.md)`',
      '```md',
      '[also not](fenced.md)',
      '```',
    ].join('\n');
    expect(linkTargets(sample)).toEqual(['policy.md#limits', 'img/logo.png', '../examples/app.ts', 'src/index.ts']);
    expect([...headingAnchors('# Title\n## `serve` options: --db\n## Limits and the read-only backstop\n## Title')]).toEqual([
      'title',
      'serve-options---db',
      'limits-and-the-read-only-backstop',
      'title-1',
    ]);
  });
});
