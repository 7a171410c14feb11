import type { Knex } from 'knex';
import type { ColumnModel, Dialect } from '../introspect/model.js';
import type { ToolDefinition } from '../tools/catalog.js';
import type { Condition, Filter } from '../tools/arguments.js';
import type { Operator } from '../tools/filters.js';
import { quoteIdentifier, quoteTable } from './identifiers.js';
import type { ReadOnlyRunner, ReadOnlySession } from './read-only.js';
import { bindValue, renderValue } from './values.js';

/** Rows as fields → rendered values. */
export type Row = Record<string, unknown>;

export type ToolOutcome =
  | { readonly kind: 'query'; readonly rows: Row[]; readonly truncated: boolean; readonly nextOffset: number | undefined }
  | { readonly kind: 'lookup'; readonly row: Row | null }
  | { readonly kind: 'count'; readonly count: number };

export interface QueryArguments {
  readonly where?: readonly Filter[];
  readonly columns?: readonly string[];
  readonly order_by?: readonly { readonly field: string; readonly direction?: 'asc' | 'desc' }[];
  readonly limit: number;
  readonly offset: number;
}

const NO_SCOPE: ReadonlyMap<ColumnModel, unknown> = new Map();

const COMPARISONS: Partial<Record<Operator, string>> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

const LIKE_ESCAPE = '!';
const escapeLike = (text: string) => text.replace(/[!%_]/g, (char) => `${LIKE_ESCAPE}${char}`);

/**
 * Runs one validated tool call. Every identifier comes from the tool's introspected columns (quoted here),
 * every value is a binding, and everything runs inside the read-only runner.
 */
export class Executor {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly runner: ReadOnlyRunner,
  ) {}

  /**
   * Runs a call. `scope` holds the caller's value for each scoping column of the tool's table (checked complete by
   * the caller); every query, lookup and count is filtered on them.
   */
  run(tool: ToolDefinition, args: Record<string, unknown>, scope: ReadonlyMap<ColumnModel, unknown> = NO_SCOPE): Promise<ToolOutcome> {
    return this.runner.run((session) => {
      switch (tool.kind) {
        case 'query':
          return this.query(session, tool, args as unknown as QueryArguments, scope);
        case 'lookup':
          return this.lookup(session, tool, args, scope);
        case 'count':
          return this.count(session, tool, args.where as Filter[] | undefined, scope);
      }
    });
  }

  private ident(column: ColumnModel | string): Knex.Raw {
    return this.raw(quoteIdentifier(this.dialect, typeof column === 'string' ? column : column.name));
  }

  private raw(sql: string): Knex.Raw {
    return this.knex.raw(sql);
  }

  private from(session: ReadOnlySession, tool: ToolDefinition, scope: ReadonlyMap<ColumnModel, unknown>): Knex.QueryBuilder {
    const builder = session.builder().from(this.raw(quoteTable(this.dialect, tool.table.table)));
    for (const column of tool.table.scopeColumns) {
      builder.whereRaw('?? = ?', [this.ident(column), bindValue(this.dialect, column, scope.get(column))]);
    }
    // Ask the drivers for exact 64-bit integers; rendering turns those past 2^53 into strings.
    if (this.dialect === 'mysql') builder.options({ supportBigNumbers: true, bigNumberStrings: true });
    if (this.dialect === 'sqlite') builder.options({ safeIntegers: true });
    return builder;
  }

  private selectFields(builder: Knex.QueryBuilder, fields: readonly (readonly [string, ColumnModel])[]): void {
    builder.select(
      fields.map(([field, column]) =>
        field === column.name
          ? this.ident(column)
          : this.raw(`${quoteIdentifier(this.dialect, column.name)} AS ${quoteIdentifier(this.dialect, field)}`),
      ),
    );
  }

  private render(fields: readonly (readonly [string, ColumnModel])[], record: Record<string, unknown>): Row {
    const row: Row = {};
    for (const [field, column] of fields) row[field] = renderValue(column, record[field]);
    return row;
  }

  private async query(
    session: ReadOnlySession,
    tool: ToolDefinition,
    args: QueryArguments,
    scope: ReadonlyMap<ColumnModel, unknown>,
  ): Promise<ToolOutcome> {
    const fields = args.columns ? tool.fieldsInOrder.filter(([field]) => args.columns?.includes(field)) : tool.resultFields;
    const builder = this.from(session, tool, scope);
    this.selectFields(builder, fields);
    if (args.where) this.applyWhere(builder, tool, args.where);
    this.applyOrder(builder, tool, args.order_by ?? []);
    // One extra row tells whether more rows match than were returned.
    const records = (await builder.limit(args.limit + 1).offset(args.offset)) as Record<string, unknown>[];
    const truncated = records.length > args.limit;
    return {
      kind: 'query',
      rows: records.slice(0, args.limit).map((record) => this.render(fields, record)),
      truncated,
      nextOffset: truncated ? args.offset + args.limit : undefined,
    };
  }

  private async lookup(
    session: ReadOnlySession,
    tool: ToolDefinition,
    args: Record<string, unknown>,
    scope: ReadonlyMap<ColumnModel, unknown>,
  ): Promise<ToolOutcome> {
    const builder = this.from(session, tool, scope);
    this.selectFields(builder, tool.resultFields);
    for (const column of tool.keyColumns) {
      const field = tool.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name;
      builder.whereRaw('?? = ?', [this.ident(column), bindValue(this.dialect, column, args[field])]);
    }
    const records = (await builder.limit(1)) as Record<string, unknown>[];
    const record = records[0];
    return { kind: 'lookup', row: record ? this.render(tool.resultFields, record) : null };
  }

  private async count(
    session: ReadOnlySession,
    tool: ToolDefinition,
    where: readonly Filter[] | undefined,
    scope: ReadonlyMap<ColumnModel, unknown>,
  ): Promise<ToolOutcome> {
    const builder = this.from(session, tool, scope);
    builder.select(this.raw('COUNT(*) AS ' + quoteIdentifier(this.dialect, 'count')));
    if (where) this.applyWhere(builder, tool, where);
    const [record] = (await builder) as Record<string, unknown>[];
    return { kind: 'count', count: Number(record?.count ?? 0) };
  }

  private applyOrder(builder: Knex.QueryBuilder, tool: ToolDefinition, orderBy: NonNullable<QueryArguments['order_by']>): void {
    const ordered = new Set<ColumnModel>();
    for (const { field, direction } of orderBy) {
      const column = tool.columnsByField.get(field);
      if (!column || ordered.has(column)) continue;
      ordered.add(column);
      this.orderBy(builder, column, direction === 'desc' ? 'DESC' : 'ASC');
    }
    // The primary key breaks ties so that offsets page through a stable order.
    for (const column of tool.table.primaryKey ?? []) {
      if (!ordered.has(column)) this.orderBy(builder, column, 'ASC');
    }
  }

  /** NULLs sort last in both directions on every dialect. */
  private orderBy(builder: Knex.QueryBuilder, column: ColumnModel, direction: 'ASC' | 'DESC'): void {
    const name = quoteIdentifier(this.dialect, column.name);
    if (this.dialect === 'mysql') builder.orderByRaw(`${name} IS NULL, ${name} ${direction}`);
    else builder.orderByRaw(`${name} ${direction} NULLS LAST`);
  }

  /** Conditions of a list are ANDed; groups nest with OR, AND and NOT. */
  private applyWhere(builder: Knex.QueryBuilder, tool: ToolDefinition, filters: readonly Filter[]): void {
    for (const filter of filters) {
      if ('field' in filter) {
        this.applyCondition(builder, tool, filter);
      } else if ('or' in filter && filter.or) {
        const members = filter.or;
        builder.where((group) => {
          for (const member of members) group.orWhere((inner) => this.applyWhere(inner, tool, [member]));
        });
      } else if ('and' in filter && filter.and) {
        const members = filter.and;
        builder.where((group) => this.applyWhere(group, tool, members));
      } else if ('not' in filter && filter.not) {
        const member = filter.not;
        builder.whereNot((group) => this.applyWhere(group, tool, [member]));
      }
    }
  }

  /**
   * The column goes in as a `??` binding holding its quoted name: Knex then inserts it verbatim instead of
   * counting a `?` inside the name (a column called `what?`) as a value placeholder.
   */
  private applyCondition(builder: Knex.QueryBuilder, tool: ToolDefinition, condition: Condition): void {
    const column = tool.columnsByField.get(condition.field);
    if (!column) return;
    const name = this.ident(column);
    const bind = (value: unknown) => bindValue(this.dialect, column, value);
    const { op, value } = condition;
    const comparison = COMPARISONS[op];
    if (comparison) {
      builder.whereRaw(`?? ${comparison} ?`, [name, bind(value)]);
    } else if (op === 'in' || op === 'not_in') {
      const values = (value as unknown[]).map(bind);
      builder.whereRaw(`?? ${op === 'in' ? 'IN' : 'NOT IN'} (${values.map(() => '?').join(', ')})`, [name, ...values]);
    } else if (op === 'between') {
      const [low, high] = value as [unknown, unknown];
      builder.whereRaw('?? BETWEEN ? AND ?', [name, bind(low), bind(high)]);
    } else if (op === 'is_null' || op === 'is_not_null') {
      builder.whereRaw(`?? IS ${op === 'is_null' ? '' : 'NOT '}NULL`, [name]);
    } else {
      const text = escapeLike(String(value));
      const pattern = op === 'contains' ? `%${text}%` : op === 'starts_with' ? `${text}%` : `%${text}`;
      // ILIKE on PostgreSQL (the cast serves string-like types without LIKE); MySQL and SQLite LIKE ignore case already.
      const sql = this.dialect === 'postgresql' ? `??::text ILIKE ? ESCAPE '!'` : `?? LIKE ? ESCAPE '!'`;
      builder.whereRaw(sql, [name, pattern]);
    }
  }
}
