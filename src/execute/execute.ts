import type { Knex } from 'knex';
import type { ColumnModel, Dialect } from '../introspect/model.js';
import type { ExposedRelation, ExposedTable } from '../policy/policy.js';
import { resolveField, type AggregatePlan, type FieldRef } from '../tools/aggregate.js';
import type { TableFields, ToolDefinition } from '../tools/catalog.js';
import type { Condition, Exists, Filter } from '../tools/arguments.js';
import type { Operator } from '../tools/filters.js';
import { AggregateSql } from './aggregate-sql.js';
import { Fragment, joinFragments, sql, verbatim } from './fragment.js';
import { quoteIdentifier, quoteTable } from './identifiers.js';
import type { ReadOnlyRunner, ReadOnlySession } from './read-only.js';
import { ValueCuts } from './value-cuts.js';
import { bindValue } from './values.js';

/** Rows as fields → rendered values. */
export type Row = Record<string, unknown>;

/** A page of rows: `truncated` when more match (`nextOffset` is where the next page starts). */
export interface Page {
  readonly rows: Row[];
  readonly truncated: boolean;
  readonly nextOffset: number | undefined;
  /** The page's first row's offset. */
  readonly offset: number;
  /** Whether the result size limit, rather than `limit`, ended the page. */
  readonly sizeLimited?: boolean;
}

export type ToolOutcome =
  | ({ readonly kind: 'query' } & Page)
  | { readonly kind: 'lookup'; readonly row: Row | null }
  | { readonly kind: 'count'; readonly count: number }
  | ({ readonly kind: 'aggregate' } & Page);

export interface QueryArguments {
  readonly where?: readonly Filter[];
  readonly columns?: readonly string[];
  readonly order_by?: readonly { readonly field: string; readonly direction?: 'asc' | 'desc' }[];
  readonly limit: number;
  readonly offset: number;
}

/**
 * The caller's value for each scoping column of a table the call reads (its own table, joined and `has` tables).
 * Throws a {@link DeniedError} when the caller has no value for one of them.
 */
export type ScopeResolver = (table: ExposedTable) => ReadonlyMap<ColumnModel, unknown>;

const NO_SCOPE: ScopeResolver = () => new Map();

const COMPARISONS: Partial<Record<Operator, string>> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const BASE = 't';

const LIKE_ESCAPE = '!';
const escapeLike = (text: string) => text.replace(/[!%_]/g, (char) => `${LIKE_ESCAPE}${char}`);

/** Per-call SQL state: aliases of joined relations and of `has` subqueries. */
interface Statement {
  readonly builder: Knex.QueryBuilder;
  readonly scope: ScopeResolver;
  readonly joins: Map<ExposedRelation, string>;
  subqueries: number;
}

/**
 * Runs one validated tool call. Every identifier comes from the tool's introspected columns (quoted here),
 * every value is a binding, and everything runs inside the read-only runner.
 */
export class Executor {
  private readonly cuts: ValueCuts;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly runner: ReadOnlyRunner,
    private readonly timeZone = 'UTC',
    /** Longest text, JSON or binary value read, in characters (see `maxValueChars`). */
    maxValueChars = 4_096,
  ) {
    this.cuts = new ValueCuts(dialect, maxValueChars);
  }

  /**
   * Runs a call. `scope` gives the caller's values for the scoping columns of every table the call reads; every
   * query, lookup, count, aggregate, join and `has` subquery is filtered on them. Aggregates need their `plan`.
   */
  run(tool: ToolDefinition, args: Record<string, unknown>, scope: ScopeResolver = NO_SCOPE, plan?: AggregatePlan): Promise<ToolOutcome> {
    return this.runner.run((session) => {
      switch (tool.kind) {
        case 'query':
          return this.query(session, tool, args as unknown as QueryArguments, scope);
        case 'lookup':
          return this.lookup(session, tool, args, scope);
        case 'count':
          return this.count(session, tool, args.where as Filter[] | undefined, scope);
        case 'aggregate':
          if (!plan) throw new Error('aggregate calls need a plan');
          return this.aggregate(session, tool, args.where as Filter[] | undefined, plan, scope);
      }
    });
  }

  /** A quoted name as an identifier fragment. */
  private name(name: string): Fragment {
    return new Fragment('??', [this.knex.raw(quoteIdentifier(this.dialect, name))]);
  }

  /** `"alias"."column"`. */
  private col(alias: string, column: ColumnModel): Fragment {
    return new Fragment('??', [this.knex.raw(`${quoteIdentifier(this.dialect, alias)}.${quoteIdentifier(this.dialect, column.name)}`)]);
  }

  private table(table: ExposedTable, alias: string): Fragment {
    return new Fragment('??', [this.knex.raw(`${quoteTable(this.dialect, table.table)} AS ${quoteIdentifier(this.dialect, alias)}`)]);
  }

  private raw(fragment: Fragment): Knex.Raw {
    return this.knex.raw(fragment.text, fragment.bindings as Knex.Value[]);
  }

  private where(builder: Knex.QueryBuilder, fragment: Fragment): void {
    builder.whereRaw(fragment.text, fragment.bindings as Knex.Value[]);
  }

  private bind(column: ColumnModel, value: unknown): Knex.Value {
    return bindValue(this.dialect, column, value, this.timeZone);
  }

  /** The tool's table as `t`, filtered on the caller's scope. */
  private statement(builder: Knex.QueryBuilder, table: ExposedTable, scope: ScopeResolver): Statement {
    builder.from(this.raw(this.table(table, BASE)));
    this.scopeWhere(builder, table, BASE, scope);
    return { builder, scope, joins: new Map(), subqueries: 0 };
  }

  private scopeWhere(builder: Knex.QueryBuilder, table: ExposedTable, alias: string, scope: ScopeResolver): void {
    for (const [column, value] of scope(table)) this.where(builder, sql`${this.col(alias, column)} = ${this.bind(column, value)}`);
  }

  /** Driver options for exact 64-bit integers; rendering turns those past 2^53 into strings. */
  private exact(builder: Knex.QueryBuilder): Knex.QueryBuilder {
    if (this.dialect === 'mysql') builder.options({ supportBigNumbers: true, bigNumberStrings: true });
    if (this.dialect === 'sqlite') builder.options({ safeIntegers: true });
    return builder;
  }

  /** The SQL of a field: the table's own column, or a column of a to-one related row (joined on first use). */
  private fieldSql(statement: Statement, ref: FieldRef, fields: TableFields): Fragment {
    if (!ref.relation) return this.col(BASE, ref.column);
    return this.col(this.join(statement, ref.relation, fields), ref.column);
  }

  /** LEFT JOINs a to-one relation once per call; the related table's own scope is part of the join condition. */
  private join(statement: Statement, relation: ExposedRelation, fields: TableFields): string {
    const existing = statement.joins.get(relation);
    if (existing) return existing;
    const alias = `r${statement.joins.size}`;
    statement.joins.set(relation, alias);
    const target = fields.relations.get(relation.name)?.target.table;
    if (!target) throw new Error(`relation ${relation.name} has no exposed target`);
    const conditions = relation.pairs.map(([local, remote]) => sql`${this.col(alias, remote)} = ${this.col(BASE, local)}`);
    for (const [column, value] of statement.scope(target)) conditions.push(sql`${this.col(alias, column)} = ${this.bind(column, value)}`);
    const join = sql`LEFT JOIN ${this.table(target, alias)} ON ${joinFragments(conditions, ' AND ')}`;
    statement.builder.joinRaw(join.text, join.bindings as Knex.Value[]);
    return alias;
  }

  /**
   * Selects the fields as `c0, c1…` (names a database cannot truncate or misread) and returns what they refer to.
   * Long text, JSON and binary values are cut by the database (see {@link ValueCuts}), never read whole.
   */
  private select(statement: Statement, tool: ToolDefinition, fields: readonly string[]): FieldRef[] {
    const refs = fields.map((field) => resolveField(tool.fields, field) ?? scopeField(tool, field));
    statement.builder.select(
      refs.flatMap((ref, index) =>
        this.cuts.select(ref.column, this.fieldSql(statement, ref, tool.fields)).map(([suffix, expression]) => this.raw(sql`${expression} AS ${this.name(`c${index}${suffix}`)}`)),
      ),
    );
    return refs;
  }

  private renderRow(refs: readonly FieldRef[], record: Record<string, unknown>): Row {
    const row: Row = {};
    refs.forEach((ref, index) => {
      row[ref.field] = this.cuts.render(ref.column, record, `c${index}`);
    });
    return row;
  }

  private async query(session: ReadOnlySession, tool: ToolDefinition, args: QueryArguments, scope: ScopeResolver): Promise<ToolOutcome> {
    const fields = args.columns ? [...new Set(args.columns)] : tool.resultFields.map(([field]) => field);
    const statement = this.statement(this.exact(session.builder()), tool.table, scope);
    const refs = this.select(statement, tool, fields);
    if (args.where) this.applyWhere(statement, statement.builder, tool.fields, BASE, args.where);
    this.applyOrder(statement, tool, args.order_by ?? []);
    return { kind: 'query', ...(await page(statement.builder, args.limit, args.offset, (record) => this.renderRow(refs, record))) };
  }

  private async lookup(session: ReadOnlySession, tool: ToolDefinition, args: Record<string, unknown>, scope: ScopeResolver): Promise<ToolOutcome> {
    const fields = tool.resultFields.map(([field]) => field);
    const statement = this.statement(this.exact(session.builder()), tool.table, scope);
    const refs = this.select(statement, tool, fields);
    for (const column of tool.keyColumns) {
      const field = tool.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name;
      this.where(statement.builder, sql`${this.col(BASE, column)} = ${this.bind(column, args[field])}`);
    }
    const records = (await statement.builder.limit(1)) as Record<string, unknown>[];
    const record = records[0];
    return { kind: 'lookup', row: record ? this.renderRow(refs, record) : null };
  }

  private async count(session: ReadOnlySession, tool: ToolDefinition, where: readonly Filter[] | undefined, scope: ScopeResolver): Promise<ToolOutcome> {
    const statement = this.statement(this.exact(session.builder()), tool.table, scope);
    statement.builder.select(this.raw(sql`COUNT(*) AS ${this.name('count')}`));
    if (where) this.applyWhere(statement, statement.builder, tool.fields, BASE, where);
    const [record] = (await statement.builder) as Record<string, unknown>[];
    return { kind: 'count', count: Number(record?.count ?? 0) };
  }

  /**
   * where → GROUP BY → metrics, in an inner query whose outputs get positional aliases (g0…, m0…); having, order
   * and paging on the outer query, which can name those aliases on every dialect.
   */
  private async aggregate(
    session: ReadOnlySession,
    tool: ToolDefinition,
    where: readonly Filter[] | undefined,
    plan: AggregatePlan,
    scope: ScopeResolver,
  ): Promise<ToolOutcome> {
    const inner = this.statement(this.knex.queryBuilder(), tool.table, scope);
    const expressions = new AggregateSql(this.dialect, this.timeZone, (text, bindings) => this.knex.raw(text, bindings as Knex.Value[]), this.cuts);
    const selects: Knex.Raw[] = [];
    // What the outer query reads of each inner output: as is, or a long group key cut like any returned value.
    const outputs: Knex.Raw[] = [];
    plan.groups.forEach((group, index) => {
      const expression = expressions.group(this.fieldSql(inner, group, tool.fields), group);
      selects.push(this.raw(sql`${expression} AS ${this.name(`g${index}`)}`));
      const read = group.bucket ? [['', this.output(`g${index}`)] as const] : this.cuts.select(group.column, this.output(`g${index}`));
      for (const [suffix, value] of read) outputs.push(this.raw(sql`${value} AS ${this.name(`g${index}${suffix}`)}`));
    });
    plan.metrics.forEach((metric, index) => {
      const column = metric.ref && this.fieldSql(inner, metric.ref, tool.fields);
      for (const [suffix, expression] of expressions.metric(metric, column)) {
        selects.push(this.raw(sql`${expression} AS ${this.name(`m${index}${suffix}`)}`));
        outputs.push(this.raw(sql`${this.output(`m${index}${suffix}`)} AS ${this.name(`m${index}${suffix}`)}`));
      }
    });
    inner.builder.select(selects);
    if (where) this.applyWhere(inner, inner.builder, tool.fields, BASE, where);
    if (plan.groups.length > 0) inner.builder.groupByRaw(plan.groups.map((_, index) => String(index + 1)).join(', '));

    const outer = this.exact(session.builder()).select(outputs).from(inner.builder.as('g'));
    const aliasOf = new Map<string, string>();
    plan.groups.forEach((group, index) => aliasOf.set(group.output, `g${index}`));
    plan.metrics.forEach((metric, index) => aliasOf.set(metric.output, metric.fn === 'avg' ? `m${index}_avg` : `m${index}`));
    for (const condition of plan.having) {
      const index = plan.metrics.indexOf(condition.metric);
      const alias = aliasOf.get(condition.metric.output) ?? `m${index}`;
      const value = expressions.havingValue(condition, (column, raw) => this.bind(column, raw));
      this.where(outer, sql`${this.output(alias)} ${verbatim(COMPARISONS[condition.op] ?? '=')} ${value}`);
    }
    const ordered = new Set<string>();
    const order = (output: string, direction: 'ASC' | 'DESC') => {
      const alias = aliasOf.get(output);
      if (!alias || ordered.has(alias)) return;
      ordered.add(alias);
      this.orderBy(outer, this.output(alias), direction);
    };
    for (const { output, direction } of plan.orderBy) order(output, direction === 'desc' ? 'DESC' : 'ASC');
    // Group outputs break ties, so pages and dialects agree on the order.
    for (const group of plan.groups) order(group.output, 'ASC');
    return { kind: 'aggregate', ...(await page(outer, plan.limit, plan.offset, (record) => expressions.render(plan, record))) };
  }

  private applyOrder(statement: Statement, tool: ToolDefinition, orderBy: NonNullable<QueryArguments['order_by']>): void {
    const ordered = new Set<string>();
    for (const { field, direction } of orderBy) {
      const ref = resolveField(tool.fields, field);
      if (!ref || ordered.has(field)) continue;
      ordered.add(field);
      this.orderBy(statement.builder, this.fieldSql(statement, ref, tool.fields), direction === 'desc' ? 'DESC' : 'ASC');
    }
    // The primary key breaks ties so that offsets page through a stable order.
    for (const column of tool.table.primaryKey ?? []) {
      const field = tool.fieldsInOrder.find(([, candidate]) => candidate === column)?.[0] ?? column.name;
      if (!ordered.has(field)) this.orderBy(statement.builder, this.col(BASE, column), 'ASC');
    }
  }

  /** NULLs sort last in both directions on every dialect. */
  private orderBy(builder: Knex.QueryBuilder, expression: Fragment, direction: 'ASC' | 'DESC'): void {
    const order =
      this.dialect === 'mysql' ? sql`${expression} IS NULL, ${expression} ${verbatim(direction)}` : sql`${expression} ${verbatim(direction)} NULLS LAST`;
    builder.orderByRaw(order.text, order.bindings as Knex.Value[]);
  }

  /** An output column of the aggregate's inner query, `g.g0` or `g.m1`. */
  private output(alias: string): Fragment {
    return new Fragment('??', [this.knex.raw(`${quoteIdentifier(this.dialect, 'g')}.${quoteIdentifier(this.dialect, alias)}`)]);
  }

  /** Conditions of a list are ANDed; groups nest with OR, AND and NOT; `has` becomes EXISTS over the relation. */
  private applyWhere(statement: Statement, builder: Knex.QueryBuilder, fields: TableFields, alias: string, filters: readonly Filter[]): void {
    for (const filter of filters) {
      if ('field' in filter) {
        this.applyCondition(builder, fields, alias, filter);
      } else if ('has' in filter) {
        this.applyExists(statement, builder, fields, alias, filter);
      } else if ('or' in filter && filter.or) {
        const members = filter.or;
        builder.where((group) => {
          for (const member of members) group.orWhere((inner) => this.applyWhere(statement, inner, fields, alias, [member]));
        });
      } else if ('and' in filter && filter.and) {
        const members = filter.and;
        builder.where((group) => this.applyWhere(statement, group, fields, alias, members));
      } else if ('not' in filter && filter.not) {
        const member = filter.not;
        builder.whereNot((group) => this.applyWhere(statement, group, fields, alias, [member]));
      }
    }
  }

  /** Related rows exist: matched on the key's column pairs, within the related table's scope, meeting `where`. */
  private applyExists(statement: Statement, builder: Knex.QueryBuilder, fields: TableFields, alias: string, filter: Exists): void {
    const related = fields.relations.get(filter.has);
    if (!related) return;
    statement.subqueries += 1;
    const inner = `s${statement.subqueries}`;
    const subquery = this.knex.queryBuilder().select(this.knex.raw('1')).from(this.raw(this.table(related.target.table, inner)));
    for (const [local, remote] of related.relation.pairs) this.where(subquery, sql`${this.col(inner, remote)} = ${this.col(alias, local)}`);
    this.scopeWhere(subquery, related.target.table, inner, statement.scope);
    if (filter.where) this.applyWhere(statement, subquery, related.target, inner, filter.where);
    builder.whereExists(subquery);
  }

  private applyCondition(builder: Knex.QueryBuilder, fields: TableFields, alias: string, condition: Condition): void {
    const column = fields.columnsByField.get(condition.field);
    if (!column) return;
    const name = this.col(alias, column);
    const bind = (value: unknown) => this.bind(column, value);
    const { op, value } = condition;
    const comparison = COMPARISONS[op];
    if (comparison) {
      this.where(builder, sql`${name} ${verbatim(comparison)} ${bind(value)}`);
    } else if (op === 'in' || op === 'not_in') {
      const values = joinFragments((value as unknown[]).map((item) => sql`${bind(item)}`), ', ');
      this.where(builder, sql`${name} ${verbatim(op === 'in' ? 'IN' : 'NOT IN')} (${values})`);
    } else if (op === 'between') {
      const [low, high] = value as [unknown, unknown];
      this.where(builder, sql`${name} BETWEEN ${bind(low)} AND ${bind(high)}`);
    } else if (op === 'is_null' || op === 'is_not_null') {
      this.where(builder, sql`${name} ${verbatim(op === 'is_null' ? 'IS NULL' : 'IS NOT NULL')}`);
    } else {
      const text = escapeLike(String(value));
      const pattern = op === 'contains' ? `%${text}%` : op === 'starts_with' ? `${text}%` : `%${text}`;
      // ILIKE on PostgreSQL (the cast serves string-like types without LIKE); MySQL and SQLite LIKE ignore case already.
      this.where(builder, this.dialect === 'postgresql' ? sql`${name}::text ILIKE ${pattern} ESCAPE '!'` : sql`${name} LIKE ${pattern} ESCAPE '!'`);
    }
  }
}

/** Runs a paged query; one extra row tells whether more rows match than were returned. */
async function page(
  builder: Knex.QueryBuilder,
  limit: number,
  offset: number,
  render: (record: Record<string, unknown>) => Row,
): Promise<Page> {
  const records = (await builder.limit(limit + 1).offset(offset)) as Record<string, unknown>[];
  const truncated = records.length > limit;
  return { rows: records.slice(0, limit).map(render), truncated, nextOffset: truncated ? offset + limit : undefined, offset };
}

/** A scoping column returned with `scope.visible`: a result field, never a field arguments can name. */
function scopeField(tool: ToolDefinition, field: string): FieldRef {
  const column = tool.resultFields.find(([name]) => name === field)?.[1];
  if (!column) throw new Error(`unknown field ${field}`);
  return { field, column, relation: null };
}
