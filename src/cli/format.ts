import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Commander parser for `--expires-in`: a positive count of minutes, hours, days, weeks or years (`45m`, `12h`, `30d`). */
export function parseDuration(value: string): number {
  const match = /^(\d+)([mhdwy])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : 0;
  if (!(ms > 0) || !Number.isSafeInteger(ms)) throw new InvalidArgumentError('expected a duration such as 45m, 12h, 30d, 2w or 1y.');
  return ms;
}

/** `2025-03-10T15:30:00Z`, or `-` for no date. */
export function formatTime(date: Date | null): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Rows as left-aligned columns separated by two spaces. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
