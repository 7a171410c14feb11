import type { Knex } from 'knex';
import type { ColumnModel, Dialect } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { Operator } from '../catalog/filters.js';
import type { PlannedFilter, ReadPlan } from '../plan/plan.js';
import type { FieldRef, Hop } from '../plan/refs.js';
import { AggregateSql } from './aggregate-sql.js';
import { Fragment, joinFragments, keyIn, sql, verbatim } from './fragment.js';
import { quoteIdentifier, quoteTable } from './identifiers.js';
import type { ReadOnlyRunner, ReadOnlySession } from './read-only.js';
import { comparableSql } from './sqlite-dates.js';
import { ValueCuts } from './value-cuts.js';
import { bindValue, renderValue } from './values.js';

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

/** The smallest and largest value of a column, rendered like result values; both `null` when it has none. */
export interface ValueRange {
  readonly min: unknown;
  readonly max: unknown;
}

export type ToolOutcome = (
  | ({ readonly kind: 'query' } & Page)
  | { readonly kind: 'lookup'; readonly row: Row | null }
  | { readonly kind: 'count'; readonly count: number }
  | ({ readonly kind: 'aggregate' } & Page & {
      /** Without `group_by`: how many rows the filters left (the one row is there even when none did). */
      readonly matched?: number;
    })
) & {
  /** Ranges of the table's columns within the caller's scope, asked for by `explain` (see {@link Executor.run}). */
  readonly ranges?: ReadonlyMap<ColumnModel, ValueRange>;
};

/** Given a plan's outcome, the columns of its table whose range within the caller's scope the result should state. */
export type ExplainOutcome = (outcome: ToolOutcome) => readonly ColumnModel[];

/** What a result should say besides its data (e.g. that a column it read stores dates in several forms). */
export interface Noted {
  readonly notes?: readonly string[];
}

/**
 * The caller's value for each scoping column of a table the call reads (its own table, joined and `has` tables).
 * Throws a {@link DeniedError} when the caller has no value for one of them.
 */
export type ScopeResolver = (table: ScopedTable) => ReadonlyMap<ColumnModel, unknown>;

/** What a scope resolver reads of a table: its scoping columns (an exposed table, or one a write references). */
export type ScopedTable = Pick<ExposedTable, 'scopeColumns'>;

const NO_SCOPE: ScopeResolver = () => new Map();

const COMPARISONS: Partial<Record<Operator, string>> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const BASE = 't';

const LIKE_ESCAPE = '!';
const escapeLike = (text: string) => text.replace(/[!%_]/g, (char) => `${LIKE_ESCAPE}${char}`);

/** Per-call SQL state: aliases of joined relation paths and of `has` subqueries. */
interface Statement {
  readonly builder: Knex.QueryBuilder;
  readonly scope: ScopeResolver;
  /** Alias of each joined path prefix, by the alias it starts from and its relation names (`t>customer>support_rep`). */
  readonly joins: Map<string, string>;
  /** The query each alias belongs to (`t`: the statement; `s1`…: `has` subqueries), where its paths are joined. */
  readonly queries: Map<string, Knex.QueryBuilder>;
  subqueries: number;
  /** Notes for the result, by text. */
  readonly notes: Set<string>;
}

/**
 * Runs one plan. Every identifier comes from the plan's introspected columns (quoted here),
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
   * Runs a plan. `scope` gives the caller's values for the scoping columns of every table the plan reads; every
   * query, lookup, count, aggregate, join and `has` subquery is filtered on them.
   */
  run(plan: ReadPlan, scope: ScopeResolver = NO_SCOPE, explain?: ExplainOutcome): Promise<ToolOutcome & Noted> {
    return this.runner.run(async (session) => {
      const outcome = await this.execute(session, plan, scope);
      // In the same session, under the same time limit and scope: one more query, only when `explain` asks.
      const columns = explain?.(outcome) ?? [];
      return columns.length > 0 ? { ...outcome, ranges: await this.ranges(session, plan.table, columns, scope) } : outcome;
    });
  }

  private execute(session: ReadOnlySession, plan: ReadPlan, scope: ScopeResolver): Promise<ToolOutcome & Noted> {
    switch (plan.kind) {
      case 'query':
        return this.query(session, plan, scope);
      case 'lookup':
        return this.lookup(session, plan, scope);
      case 'count':
        return this.count(session, plan, scope);
      case 'aggregate':
        return this.aggregate(session, plan, scope);
    }
  }

  /**
   * Keys of the rows of `table` that `where` matches within the caller's scope, at most `limit`, as the driver returns
   * them (to bind back unchanged); locked against concurrent writes until the session's transaction ends (PostgreSQL,
   * MySQL; SQLite's write transaction locks the database). For write calls: their session is read-write.
   */
  async matchingKeys(
    session: ReadOnlySession,
    table: ExposedTable,
    key: readonly ColumnModel[],
    where: readonly PlannedFilter[],
    scope: ScopeResolver,
    limit: number,
  ): Promise<unknown[][]> {
    const statement = this.statement(this.exact(session.builder()), table, scope);
    statement.builder.select(key.map((column, index) => this.raw(sql`${exactKeySql(this.dialect, column, this.col(BASE, column))} AS ${this.name(`k${index}`)}`)));
    this.applyWhere(statement, statement.builder, BASE, where);
    // A row whose key is NULL (a nullable unique key; SQLite even lets a primary key be NULL) cannot be named by
    // `key IN (…)`: it is not reached, rather than reported as changed while nothing changes.
    for (const column of key) this.where(statement.builder, sql`${this.col(BASE, column)} IS NOT NULL`);
    for (const column of key) this.orderBy(statement.builder, this.col(BASE, column), 'ASC');
    if (this.dialect === 'postgresql') statement.builder.forUpdate(BASE);
    else if (this.dialect === 'mysql') statement.builder.forUpdate();
    const records = (await statement.builder.limit(limit)) as Record<string, unknown>[];
    // 64-bit integers come back as BigInt (SQLite) or strings: bound back as numbers when exact, else as text.
    return records.map((record) => key.map((_, index) => bindableKey(record[`k${index}`])));
  }

  /** The rows of `table` with these keys, within the caller's scope, rendered like query results, in key order. */
  async rowsByKeys(
    session: ReadOnlySession,
    table: ExposedTable,
    select: readonly FieldRef[],
    key: readonly ColumnModel[],
    keys: readonly (readonly unknown[])[],
    scope: ScopeResolver,
  ): Promise<Row[]> {
    if (keys.length === 0 || select.length === 0) return [];
    const statement = this.statement(this.exact(session.builder()), table, scope);
    this.select(statement, select);
    this.where(statement.builder, keyIn(key.map((column) => this.col(BASE, column)), keys));
    for (const column of key) this.orderBy(statement.builder, this.col(BASE, column), 'ASC');
    const records = (await statement.builder) as Record<string, unknown>[];
    return records.map((record) => this.renderRow(select, record));
  }

  /**
   * The smallest and largest value of each column over the table within the caller's scope, ignoring the call's
   * filters: one `SELECT MIN(c), MAX(c)…` (an index on a column serves both ends).
   */
  private async ranges(session: ReadOnlySession, table: ExposedTable, columns: readonly ColumnModel[], scope: ScopeResolver): Promise<Map<ColumnModel, ValueRange>> {
    const statement = this.statement(this.exact(session.builder()), table, scope);
    statement.builder.select(
      columns.flatMap((column, index) => [
        this.raw(sql`MIN(${this.col(BASE, column)}) AS ${this.name(`lo${index}`)}`),
        this.raw(sql`MAX(${this.col(BASE, column)}) AS ${this.name(`hi${index}`)}`),
      ]),
    );
    const [record = {}] = (await statement.builder) as Record<string, unknown>[];
    return new Map(columns.map((column, index) => [column, { min: renderValue(column, record[`lo${index}`]), max: renderValue(column, record[`hi${index}`]) }]));
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
    return { builder, scope, joins: new Map(), queries: new Map([[BASE, builder]]), subqueries: 0, notes: new Set() };
  }

  private scopeWhere(builder: Knex.QueryBuilder, table: ExposedTable, alias: string, scope: ScopeResolver): void {
    for (const [column, value] of scope(table)) this.where(builder, sql`${this.col(alias, column)} = ${this.bind(column, value)}`);
  }

  /** Driver options for exact 64-bit integers; rendering turns those past 2^53 into strings. */
  private exact(builder: Knex.QueryBuilder): Knex.QueryBuilder {
    return exactIntegers(this.dialect, builder);
  }

  /** The SQL of a field: the table's own column, or a column of a row reached through to-one relations (joined on first use). */
  private fieldSql(statement: Statement, ref: FieldRef): Fragment {
    return this.comparable(statement, this.joinPath(statement, BASE, ref.path), ref.column);
  }

  /** The column as filters, sorts and metrics read it: SQLite dates stored as numbers normalized (see `sqlite-dates`). */
  private comparable(statement: Statement, alias: string, column: ColumnModel): Fragment {
    if (this.dialect !== 'sqlite') return this.col(alias, column);
    if (column.storage === 'mixed') {
      statement.notes.add(
        `${column.name} stores dates both as numbers and as text: numbers are read as epoch milliseconds or seconds by magnitude, text as UTC.`,
      );
    }
    return comparableSql(column, this.col(alias, column), this.timeZone);
  }

  /**
   * LEFT JOINs each hop of a to-one path once per call (one alias per distinct path prefix) into the query `from`
   * belongs to, and returns the last hop's alias. Each hop table's own scope is part of its join condition, so a row
   * of another tenant anywhere along the path joins nothing and the hops after it find nothing either.
   */
  private joinPath(statement: Statement, from: string, path: readonly Hop[]): string {
    let alias = from;
    let key = from;
    for (const { relation, target } of path) {
      key = `${key}>${relation.name}`;
      const existing = statement.joins.get(key);
      if (existing) {
        alias = existing;
        continue;
      }
      const previous = alias;
      alias = `r${statement.joins.size}`;
      statement.joins.set(key, alias);
      const conditions = relation.pairs.map(([local, remote]) => sql`${this.col(alias, remote)} = ${this.col(previous, local)}`);
      for (const [column, value] of statement.scope(target)) conditions.push(sql`${this.col(alias, column)} = ${this.bind(column, value)}`);
      const join = sql`LEFT JOIN ${this.table(target, alias)} ON ${joinFragments(conditions, ' AND ')}`;
      const query = statement.queries.get(from) ?? statement.builder;
      query.joinRaw(join.text, join.bindings as Knex.Value[]);
    }
    return alias;
  }

  /**
   * Selects the fields as `c0, c1…` (names a database cannot truncate or misread).
   * Long text, JSON and binary values are cut by the database (see {@link ValueCuts}), never read whole.
   */
  private select(statement: Statement, refs: readonly FieldRef[]): void {
    statement.builder.select(
      refs.flatMap((ref, index) =>
        this.cuts.select(ref.column, this.fieldSql(statement, ref)).map(([suffix, expression]) => this.raw(sql`${expression} AS ${this.name(`c${index}${suffix}`)}`)),
      ),
    );
  }

  private renderRow(refs: readonly FieldRef[], record: Record<string, unknown>): Row {
    const row: Row = {};
    refs.forEach((ref, index) => {
      row[ref.field] = this.cuts.render(ref.column, record, `c${index}`);
    });
    return row;
  }

  private async query(session: ReadOnlySession, plan: Extract<ReadPlan, { kind: 'query' }>, scope: ScopeResolver): Promise<ToolOutcome> {
    const statement = this.statement(this.exact(session.builder()), plan.table, scope);
    this.select(statement, plan.select);
    this.applyWhere(statement, statement.builder, BASE, plan.where);
    for (const { ref, direction } of plan.orderBy) {
      this.orderBy(statement.builder, this.sortKey(ref.column, this.fieldSql(statement, ref)), direction === 'desc' ? 'DESC' : 'ASC');
    }
    return { kind: 'query', ...(await page(statement.builder, plan.limit, plan.offset, (record) => this.renderRow(plan.select, record))), ...notesOf(statement) };
  }

  private async lookup(session: ReadOnlySession, plan: Extract<ReadPlan, { kind: 'lookup' }>, scope: ScopeResolver): Promise<ToolOutcome> {
    const statement = this.statement(this.exact(session.builder()), plan.table, scope);
    this.select(statement, plan.select);
    for (const [column, value] of plan.key) this.where(statement.builder, sql`${this.col(BASE, column)} = ${this.bind(column, value)}`);
    const records = (await statement.builder.limit(1)) as Record<string, unknown>[];
    const record = records[0];
    return { kind: 'lookup', row: record ? this.renderRow(plan.select, record) : null };
  }

  private async count(session: ReadOnlySession, plan: Extract<ReadPlan, { kind: 'count' }>, scope: ScopeResolver): Promise<ToolOutcome> {
    const statement = this.statement(this.exact(session.builder()), plan.table, scope);
    statement.builder.select(this.raw(sql`COUNT(*) AS ${this.name('count')}`));
    this.applyWhere(statement, statement.builder, BASE, plan.where);
    const [record] = (await statement.builder) as Record<string, unknown>[];
    return { kind: 'count', count: Number(record?.count ?? 0), ...notesOf(statement) };
  }

  /**
   * where → GROUP BY → metrics, in an inner query whose outputs get positional aliases (g0…, m0…); having, order
   * and paging on the outer query, which can name those aliases on every dialect.
   */
  private async aggregate(session: ReadOnlySession, plan: Extract<ReadPlan, { kind: 'aggregate' }>, scope: ScopeResolver): Promise<ToolOutcome> {
    const inner = this.statement(this.knex.queryBuilder(), plan.table, scope);
    const expressions = new AggregateSql(this.dialect, this.timeZone, (text, bindings) => this.knex.raw(text, bindings as Knex.Value[]), this.cuts);
    const selects: Knex.Raw[] = [];
    // What the outer query reads of each inner output: as is, or a long group key cut like any returned value.
    const outputs: Knex.Raw[] = [];
    plan.groups.forEach((group, index) => {
      const expression = expressions.group(this.fieldSql(inner, group), group);
      selects.push(this.raw(sql`${expression} AS ${this.name(`g${index}`)}`));
      const read = group.bucket ? [['', this.output(`g${index}`)] as const] : this.cuts.select(group.column, this.output(`g${index}`));
      for (const [suffix, value] of read) outputs.push(this.raw(sql`${value} AS ${this.name(`g${index}${suffix}`)}`));
    });
    const grouped = plan.groups.length > 0;
    plan.metrics.forEach((metric, index) => {
      const column = metric.ref && this.fieldSql(inner, metric.ref);
      for (const [suffix, expression] of expressions.metric(metric, column, grouped)) {
        selects.push(this.raw(sql`${expression} AS ${this.name(`m${index}${suffix}`)}`));
        outputs.push(this.raw(sql`${this.output(`m${index}${suffix}`)} AS ${this.name(`m${index}${suffix}`)}`));
      }
    });
    // Without groups, the one row is there even when no row matched: a row count tells.
    if (!grouped) {
      selects.push(this.raw(sql`COUNT(*) AS ${this.name('n')}`));
      outputs.push(this.raw(sql`${this.output('n')} AS ${this.name('n')}`));
    }
    inner.builder.select(selects);
    this.applyWhere(inner, inner.builder, BASE, plan.where);
    if (plan.groups.length > 0) inner.builder.groupByRaw(plan.groups.map((_, index) => String(index + 1)).join(', '));

    const outer = this.exact(session.builder()).select(outputs).from(inner.builder.as('g'));
    const aliasOf = new Map<string, string>();
    const groupColumns = new Map<string, ColumnModel>();
    plan.groups.forEach((group, index) => {
      aliasOf.set(group.output, `g${index}`);
      if (!group.bucket) groupColumns.set(`g${index}`, group.column);
    });
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
      const column = groupColumns.get(alias);
      this.orderBy(outer, column ? this.sortKey(column, this.output(alias)) : this.output(alias), direction);
    };
    for (const { output, direction } of plan.orderBy) order(output, direction === 'desc' ? 'DESC' : 'ASC');
    // Group outputs break ties, so pages and dialects agree on the order.
    for (const group of plan.groups) order(group.output, 'ASC');
    let matched: number | undefined;
    const rows = await page(outer, plan.limit, plan.offset, (record) => {
      if (!grouped) matched = Number(record.n ?? 0);
      return expressions.render(plan, record);
    });
    return { kind: 'aggregate', ...rows, ...(matched === undefined ? {} : { matched }), ...notesOf(inner) };
  }

  /**
   * What a field sorts by: an enum by the position of its value in the declared list on every dialect (a CHECK list
   * over text would otherwise sort alphabetically; PostgreSQL and MySQL enum types agree with it), others as they are.
   */
  private sortKey(column: ColumnModel, expression: Fragment): Fragment {
    const values = column.type === 'enum' ? (column.enumValues ?? []) : [];
    if (values.length === 0) return expression;
    const cases = joinFragments(
      values.map((value, index) => sql`WHEN ${this.bind(column, value)} THEN ${verbatim(String(index))}`),
      ' ',
    );
    // No ELSE: NULL (and a value outside the list, which a constraint forbids) keeps sorting last.
    return sql`(CASE ${expression} ${cases} END)`;
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

  /**
   * Joins the paths of a query's conditions up front: Knex builds grouped conditions while compiling, after its joins.
   * `has` subqueries join their own paths (see {@link applyExists}).
   */
  private joinConditionPaths(statement: Statement, alias: string, filters: readonly PlannedFilter[]): void {
    for (const filter of filters) {
      if (filter.kind === 'condition' && filter.path) this.joinPath(statement, alias, filter.path);
      else if (filter.kind === 'or' || filter.kind === 'and') this.joinConditionPaths(statement, alias, filter.members);
      else if (filter.kind === 'not') this.joinConditionPaths(statement, alias, [filter.member]);
    }
  }

  /** Conditions of a list are ANDed; groups nest with OR, AND and NOT; `exists` becomes EXISTS over the relation. */
  private applyWhere(statement: Statement, builder: Knex.QueryBuilder, alias: string, filters: readonly PlannedFilter[]): void {
    if (builder === statement.queries.get(alias)) this.joinConditionPaths(statement, alias, filters);
    for (const filter of filters) {
      switch (filter.kind) {
        case 'condition':
          this.applyCondition(statement, builder, alias, filter);
          break;
        case 'exists':
          this.applyExists(statement, builder, alias, filter);
          break;
        case 'or': {
          const members = filter.members;
          builder.where((group) => {
            for (const member of members) group.orWhere((inner) => this.applyWhere(statement, inner, alias, [member]));
          });
          break;
        }
        case 'and': {
          const members = filter.members;
          builder.where((group) => this.applyWhere(statement, group, alias, members));
          break;
        }
        case 'not': {
          const member = filter.member;
          builder.whereNot((group) => this.applyWhere(statement, group, alias, [member]));
          break;
        }
      }
    }
  }

  /** Related rows exist: matched on the key's column pairs, within the related table's scope, meeting `where`. */
  private applyExists(statement: Statement, builder: Knex.QueryBuilder, alias: string, filter: Extract<PlannedFilter, { kind: 'exists' }>): void {
    statement.subqueries += 1;
    const inner = `s${statement.subqueries}`;
    const subquery = this.knex.queryBuilder().select(this.knex.raw('1')).from(this.raw(this.table(filter.target, inner)));
    statement.queries.set(inner, subquery);
    for (const [local, remote] of filter.relation.pairs) this.where(subquery, sql`${this.col(inner, remote)} = ${this.col(alias, local)}`);
    this.scopeWhere(subquery, filter.target, inner, statement.scope);
    this.applyWhere(statement, subquery, inner, filter.where);
    builder.whereExists(subquery);
  }

  private applyCondition(statement: Statement, builder: Knex.QueryBuilder, alias: string, condition: Extract<PlannedFilter, { kind: 'condition' }>): void {
    const { column, op, value } = condition;
    const name = this.comparable(statement, condition.path ? this.joinPath(statement, alias, condition.path) : alias, column);
    const bind = (item: unknown) => this.bind(column, item);
    const comparison = COMPARISONS[op];
    if (comparison) {
      this.where(builder, sql`${name} ${verbatim(comparison)} ${bind(value)}`);
    } else if (op === 'ieq' || op === 'iin') {
      const values = op === 'ieq' ? [value] : (value as unknown[]);
      const lowered = joinFragments(values.map((item) => sql`LOWER(${bind(item)})`), ', ');
      this.where(builder, op === 'ieq' ? sql`${this.folded(name)} = ${lowered}` : sql`${this.folded(name)} IN (${lowered})`);
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
      // Both sides lowered, so a case-sensitive collation (MariaDB utf8mb4_bin, SQLite case_sensitive_like) cannot matter.
      this.where(builder, sql`${this.folded(name)} LIKE LOWER(${pattern}) ESCAPE '!'`);
    }
  }

  /**
   * A text column lowercased and compared code point by code point, the same rule on every dialect (ieq, iin,
   * contains…): the value side is `LOWER(?)` on the same database. PostgreSQL casts first (inet, citext, char have no
   * LIKE or pad); MariaDB converts to utf8mb4 with a binary collation, or its `_ci` collations would also ignore
   * accents. Letters outside ASCII fold on PostgreSQL and MariaDB, not on SQLite (its LOWER folds A–Z only).
   */
  private folded(name: Fragment): Fragment {
    if (this.dialect === 'postgresql') return sql`LOWER(${name}::text)`;
    if (this.dialect === 'mysql') return sql`CONVERT(LOWER(${name}) USING utf8mb4) COLLATE utf8mb4_bin`;
    return sql`LOWER(${name})`;
  }
}

function notesOf(statement: Statement): Noted {
  return statement.notes.size > 0 ? { notes: [...statement.notes] } : {};
}

/** Runs a paged query; one extra row tells whether more rows match than were returned. */
/**
 * A key column as a write reads it to bind it back: dates and date-times as the database's own text on PostgreSQL
 * and MySQL, whose drivers return a JavaScript Date (milliseconds, the process's time zone) — bound back, a
 * `…00.123456` key would name the `…00.123` row instead. SQLite returns what it stores.
 */
export function exactKeySql(dialect: Dialect, column: ColumnModel, columnSql: Fragment): Fragment {
  if (dialect === 'sqlite' || (column.type !== 'date' && column.type !== 'datetime')) return columnSql;
  return dialect === 'postgresql' ? sql`CAST(${columnSql} AS text)` : sql`CAST(${columnSql} AS CHAR)`;
}

/** A statement whose 64-bit integers come back exact: BigInt (SQLite) or text (MySQL); PostgreSQL's already are text. */
export function exactIntegers<T extends Knex.QueryBuilder | Knex.Raw>(dialect: Dialect, statement: T): T {
  if (dialect === 'mysql') statement.options({ supportBigNumbers: true, bigNumberStrings: true });
  if (dialect === 'sqlite') statement.options({ safeIntegers: true });
  return statement;
}

/** A key value as read, ready to bind back: a BigInt as a number when exact, else as text. */
export function bindableKey(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : String(value);
}

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
