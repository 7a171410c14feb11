import type { Knex } from 'knex';

/**
 * A piece of raw SQL: text with placeholders and their bindings, in order. Identifiers travel as `??` bindings
 * holding their quoted text, so Knex inserts them verbatim instead of reading a `?` inside a name as a placeholder.
 */
export class Fragment {
  constructor(
    readonly text: string,
    readonly bindings: readonly Knex.Value[],
  ) {}
}

/**
 * Builds a {@link Fragment}: interpolated fragments are spliced in, anything else becomes a `?` value binding.
 * @example sql`${column} >= ${value}`
 */
export function sql(strings: TemplateStringsArray, ...parts: readonly (Fragment | Knex.Value)[]): Fragment {
  let text = strings[0] ?? '';
  const bindings: Knex.Value[] = [];
  parts.forEach((part, index) => {
    if (part instanceof Fragment) {
      text += part.text;
      bindings.push(...part.bindings);
    } else {
      text += '?';
      bindings.push(part);
    }
    text += strings[index + 1] ?? '';
  });
  return new Fragment(text, bindings);
}

/** Fragments joined by a separator. */
export function joinFragments(parts: readonly Fragment[], separator: string): Fragment {
  return new Fragment(parts.map((part) => part.text).join(separator), parts.flatMap((part) => part.bindings));
}

/** Verbatim SQL text (keywords, fixed function names), never model input. */
export function verbatim(text: string): Fragment {
  return new Fragment(text, []);
}

/**
 * `k IN (?, …)`, or `(a, b) IN ((?, ?), …)` for a composite key, over the given column fragments; key values are
 * bound as given (as the driver returned them).
 */
export function keyIn(columns: readonly Fragment[], keys: readonly (readonly unknown[])[]): Fragment {
  const tuple = (values: readonly unknown[]) => joinFragments(values.map((value) => sql`${value as Knex.Value}`), ', ');
  const list = joinFragments(keys.map((values) => (columns.length === 1 ? tuple(values) : sql`(${tuple(values)})`)), ', ');
  const names = joinFragments(columns, ', ');
  return columns.length === 1 ? sql`${names} IN (${list})` : sql`(${names}) IN (${list})`;
}
