/**
 * Runs write plans (insert, update, delete), each in one read-write transaction: the rows a call reaches are found
 * and locked first, within the caller's scope, so a call never changes more than it says, nor a row of another
 * tenant; values are bindings, identifiers come from the introspected model. Whatever fails, the transaction rolls
 * back and the database is as before.
 * @module
 */
import type { Knex } from 'knex';
import { DeniedError, InvalidArgumentsError, QueryError } from '../errors.js';
import type { ColumnModel, Dialect, TableModel } from '../introspect/model.js';
import type { ExposedTable } from '../policy/policy.js';
import type { ColumnValues, WritePlan, WriteTarget } from '../plan/write.js';
import { bindableKey, exactIntegers, exactKeySql, type Executor, type Row, type ScopeResolver } from './execute.js';
import { Fragment, joinFragments, sql, verbatim } from './fragment.js';
import { quoteIdentifier, quoteTable } from './identifiers.js';
import type { WriteRunner, WriteSession } from './read-write.js';
import { toWriteError } from './write-errors.js';
import { bindValue, renderValue } from './values.js';

/** What a write call did: rows changed, and each affected row's key and (insert, update) new values. */
export interface WriteOutcome {
  readonly kind: 'write';
  readonly operation: WritePlan['operation'];
  readonly affected: number;
  /** Affected rows as the result shows them (keys and new values; keys only for deletes), at most `maxRows`. */
  readonly rows: readonly Row[];
  /** Keys of the affected rows by field name, for the audit trail. */
  readonly keys: readonly Row[];
  /** Rows changed but not listed (past `maxRows`, or a table whose new rows cannot be read back). */
  readonly unlisted: number;
}

/**
 * Asks the user to confirm a destructive call that would change `count` rows; resolves `false` when declined or
 * unanswered. Called between two transactions: no lock is held while a person decides.
 */
export type Confirm = (count: number) => Promise<boolean>;

/** Bounds of a write call. */
export interface WriteLimits {
  /** Rows a result lists at most. */
  readonly maxRows: number;
  /** Changes of more rows than this are confirmed first (with `confirm`). */
  readonly confirmAbove: number;
}

// Keys per `IN (…)` list: well under every driver's bound on bindings.
const KEYS_PER_STATEMENT = 500;

/** Runs write plans; reads (keys, new values) reuse the read executor's SQL on the write transaction. */
export class WriteExecutor {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly runner: WriteRunner,
    private readonly reader: Executor,
    /** Exposed tables by model: the tables foreign keys point at, for scope checks. */
    private readonly exposedOf: (table: TableModel) => ExposedTable | undefined,
    private readonly timeZone = 'UTC',
  ) {}

  async run(plan: WritePlan, scope: ScopeResolver, limits: WriteLimits, confirm?: Confirm): Promise<WriteOutcome> {
    const finish = async (session: WriteSession, outcome: WriteOutcome) => {
      // PostgreSQL runs deferred constraints and triggers at COMMIT, beyond the statement limit (a slow one would
      // commit after the call was answered "nothing changed"): run them here, under it.
      if (this.dialect === 'postgresql') await this.exec(session, verbatim('SET CONSTRAINTS ALL IMMEDIATE'));
      return outcome;
    };
    try {
      if (plan.operation === 'insert') return await this.runner.run(async (session) => finish(session, await this.insert(session, plan, scope, limits)));
      const target = plan.target;
      if (confirm) {
        // First find how many rows the call reaches, then ask with no transaction open, then do it — only if the
        // same number of rows still matches.
        const asked = await this.runner.run((session) => this.reach(session, plan.table, plan, target, scope));
        const count = asked.length;
        if (count > limits.confirmAbove) {
          if (!(await confirm(count))) {
            throw new DeniedError(`The user did not confirm this ${plan.operation} of ${count} rows; nothing was changed.`);
          }
          return await this.runner.run(async (session) => finish(session, await this.change(session, plan, target, scope, limits, asked)));
        }
      }
      return await this.runner.run(async (session) => finish(session, await this.change(session, plan, target, scope, limits)));
    } catch (error) {
      throw toWriteError(error, plan, this.dialect);
    }
  }

  /** Keys of the rows an update or delete reaches, within scope, locked; refuses more than `max_affected`. */
  private async reach(session: WriteSession, table: ExposedTable, plan: WritePlan, target: WriteTarget, scope: ScopeResolver): Promise<unknown[][]> {
    const key = plan.key.map((ref) => ref.column);
    if (target.kind === 'key') {
      const where = target.key.map(([column, value]) => ({ kind: 'condition' as const, column, op: 'eq' as const, value }));
      return this.reader.matchingKeys(session, table, key, where, scope, 1);
    }
    const keys = await this.reader.matchingKeys(session, table, key, target.where, scope, target.maxAffected + 1);
    if (keys.length > target.maxAffected) {
      throw new InvalidArgumentsError(
        `max_affected: this ${plan.operation} would change more than ${target.maxAffected} rows; nothing was changed. Narrow where, or raise max_affected after checking the count.`,
      );
    }
    return keys;
  }

  private async change(
    session: WriteSession,
    plan: Extract<WritePlan, { operation: 'update' | 'delete' }>,
    target: WriteTarget,
    scope: ScopeResolver,
    limits: WriteLimits,
    confirmed?: readonly unknown[][],
  ): Promise<WriteOutcome> {
    const keys = await this.reach(session, plan.table, plan, target, scope);
    // The rows the user was asked about, the same ones (found in key order both times), else nothing changes.
    if (confirmed !== undefined && (keys.length !== confirmed.length || JSON.stringify(keys) !== JSON.stringify(confirmed))) {
      const now = keys.length === confirmed.length ? `${keys.length} now, not the same rows` : `${keys.length} now`;
      throw new QueryError(
        'database_error',
        `The matching rows changed while the user was confirming (${confirmed.length} confirmed, ${now}); nothing was changed. Call again.`,
      );
    }
    const key = plan.key.map((ref) => ref.column);
    const own = scope(plan.table);
    if (plan.operation === 'update') {
      await this.checkReferences(session, plan.table, [plan.set], scope);
      // A foreign key the call sets only part of: the rest is the row's own.
      const set = new Map(plan.set);
      const partial = (columns: readonly ColumnModel[]) => {
        const given = columns.filter((column) => set.has(column));
        // A NULL in a reference means no reference (MATCH SIMPLE), as the database reads it.
        return given.length > 0 && given.length < columns.length && given.every((column) => set.get(column) !== null);
      };
      await this.checkHeldReferences(session, plan.table, key, keys, scope, set, partial);
    }
    for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
      const conditions = [this.keyIn(key, keys.slice(start, start + KEYS_PER_STATEMENT))];
      // The scope again: the rows were found within it, and the statement itself stays within it too.
      for (const [column, value] of own) conditions.push(sql`${this.col(column)} = ${this.bind(column, value)}`);
      const where = joinFragments(conditions, ' AND ');
      const statement =
        plan.operation === 'update'
          ? sql`UPDATE ${this.table(plan.table.table)} SET ${this.assignments(plan.set)} WHERE ${where}`
          : sql`DELETE FROM ${this.table(plan.table.table)} WHERE ${where}`;
      await this.exec(session, statement);
    }
    // The rows were locked when found (SQLite: the write transaction holds the database), so each one changes.
    const affected = keys.length;
    const keyRows = keys.map((values) => keyRow(plan, values));
    const listed = keys.slice(0, limits.maxRows);
    const rows = plan.operation === 'delete' ? keyRows.slice(0, limits.maxRows) : await this.reader.rowsByKeys(session, plan.table, plan.returning, key, listed, scope);
    return { kind: 'write', operation: plan.operation, affected, rows, keys: keyRows, unlisted: Math.max(0, affected - rows.length) };
  }

  private async insert(session: WriteSession, plan: Extract<WritePlan, { operation: 'insert' }>, scope: ScopeResolver, limits: WriteLimits): Promise<WriteOutcome> {
    const own = [...scope(plan.table)];
    // Scoping columns come from the caller, never from the model (the validator does not know them).
    const rows = plan.rows.map((row) => [...row, ...own] as ColumnValues);
    await this.checkReferences(session, plan.table, rows, scope);
    const key = plan.key.map((ref) => ref.column);
    const keys: unknown[][] = [];
    for (const row of rows) {
      const found = await this.insertRow(session, plan.table.table, row, key);
      if (found) keys.push(found);
    }
    // A foreign key a row leaves (partly) to column defaults is checked as stored; without a default it is NULL.
    const completed = (columns: readonly ColumnModel[]) =>
      rows.some((row) => columns.some((column) => column.default !== null && !row.some(([given]) => given === column)));
    if (plan.table.foreignKeys.some((foreignKey) => this.exposedOf(foreignKey.target) && completed(foreignKey.columns))) {
      if (keys.length < rows.length) {
        const foreignKey = plan.table.foreignKeys.find((candidate) => this.exposedOf(candidate.target) && completed(candidate.columns));
        throw new InvalidArgumentsError(`${foreignKey?.columns.map((column) => column.name).join(', ') ?? 'a reference'}: give every column of this reference.`);
      }
      await this.checkHeldReferences(session, plan.table, key, keys, scope, new Map(), completed);
    }
    const listed = keys.slice(0, limits.maxRows);
    const values = key.length > 0 ? await this.reader.rowsByKeys(session, plan.table, plan.returning, key, listed, scope) : [];
    return { kind: 'write', operation: 'insert', affected: rows.length, rows: values, keys: keys.map((found) => keyRow(plan, found)), unlisted: rows.length - values.length };
  }

  /** Inserts one row; returns its key (RETURNING, the given values, or MySQL's insert id), or `null` when unknown. */
  private async insertRow(session: WriteSession, table: TableModel, row: ColumnValues, key: readonly ColumnModel[]): Promise<unknown[] | null> {
    const columns = joinFragments(row.map(([column]) => this.name(column.name)), ', ');
    const values = joinFragments(row.map(([column, value]) => sql`${this.bind(column, value)}`), ', ');
    const body =
      row.length > 0 ? sql`(${columns}) VALUES (${values})` : this.dialect === 'mysql' ? verbatim('() VALUES ()') : verbatim('DEFAULT VALUES');
    const returning = key.length > 0 && this.runner.capabilities.insertReturning;
    const statement = returning
      ? sql`INSERT INTO ${this.table(table)} ${body} RETURNING ${joinFragments(key.map((column) => sql`${exactKeySql(this.dialect, column, this.name(column.name))} AS ${this.name(column.name)}`), ', ')}`
      : sql`INSERT INTO ${this.table(table)} ${body}`;
    // The new key exactly: a 64-bit one past 2^53 would come back rounded to a neighbour's.
    const result = await this.exec(session, statement);
    if (key.length === 0) return null;
    if (returning) {
      const [record] = rowsOfResult(result, this.dialect);
      return record ? key.map((column) => bindableKey(record[column.name])) : null;
    }
    // MySQL: the key is what the row was given, or the AUTO_INCREMENT value the insert produced.
    const given = new Map(row);
    if (key.every((column) => given.has(column))) return key.map((column) => this.bind(column, given.get(column)));
    const insertId = (Array.isArray(result) ? (result[0] as { insertId?: unknown } | undefined)?.insertId : undefined) ?? null;
    const missing = key.filter((column) => !given.has(column));
    // With exact integers on, mysql2 may give the insert id as text.
    if (missing.length === 1 && missing[0]?.autoIncrement && insertId !== null && insertId !== 0 && insertId !== '0') {
      return key.map((column) => (given.has(column) ? this.bind(column, given.get(column)) : insertId));
    }
    return null;
  }

  /**
   * Foreign keys a write sets must point at a row the caller may see: a reference into another tenant's rows (or to
   * no row) is refused the same way, naming the field and the table it must reference, never whether a row exists
   * elsewhere. Every exposed target is checked, so the message is the same on every dialect (SQLite's own names no
   * column); the database's constraint stays the backstop for targets policy does not expose.
   */
  private async checkReferences(session: WriteSession, table: ExposedTable, rows: readonly ColumnValues[], scope: ScopeResolver): Promise<void> {
    for (const foreignKey of table.foreignKeys) {
      const target = this.exposedOf(foreignKey.target);
      if (!target) continue;
      const targetScope = scope(target);
      for (const row of rows) {
        const values = new Map(row);
        if (!foreignKey.columns.every((column) => values.has(column))) continue;
        const pairs = foreignKey.columns.map((column, index) => [foreignKey.targetColumns[index] as ColumnModel, values.get(column), column] as const);
        if (pairs.some(([, value]) => value === null)) continue;
        const conditions = pairs.map(([column, value, local]) => sql`${this.col(column)} = ${this.bind(local, value)}`);
        for (const [column, value] of targetScope) conditions.push(sql`${this.col(column)} = ${this.bind(column, value)}`);
        const query = sql`SELECT 1 AS found FROM ${this.table(target.table)} WHERE ${joinFragments(conditions, ' AND ')}`;
        const found = rowsOfResult(await this.exec(session, query), this.dialect);
        if (found.length === 0) throw noSuchRow(foreignKey, target);
      }
    }
  }

  /**
   * Foreign keys a call gives only part of (`applies`): the reference each row holds — the values `set` by the call,
   * the row's own for the rest (an insert's defaults) — must name a row the caller may see; one query per key per
   * chunk of rows finds any row whose reference names none. The database's constraint alone would accept another
   * tenant's row.
   */
  private async checkHeldReferences(
    session: WriteSession,
    table: ExposedTable,
    key: readonly ColumnModel[],
    keys: readonly unknown[][],
    scope: ScopeResolver,
    set: ReadonlyMap<ColumnModel, unknown>,
    applies: (columns: readonly ColumnModel[]) => boolean,
  ): Promise<void> {
    const own = scope(table);
    for (const foreignKey of table.foreignKeys) {
      const target = this.exposedOf(foreignKey.target);
      if (!target || keys.length === 0 || !applies(foreignKey.columns)) continue;
      const rest = foreignKey.columns.filter((column) => !set.has(column));
      const targetScope = scope(target);
      const matches = foreignKey.columns.map((local, index) => {
        const column = foreignKey.targetColumns[index] as ColumnModel;
        return set.has(local) ? sql`${this.at('t', column)} = ${this.bind(local, set.get(local))}` : sql`${this.at('t', column)} = ${this.at('s', local)}`;
      });
      for (const [column, value] of targetScope) matches.push(sql`${this.at('t', column)} = ${this.bind(column, value)}`);
      for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
        const conditions = [this.keyIn(key, keys.slice(start, start + KEYS_PER_STATEMENT), 's')];
        for (const [column, value] of own) conditions.push(sql`${this.at('s', column)} = ${this.bind(column, value)}`);
        for (const column of rest) conditions.push(sql`${this.at('s', column)} IS NOT NULL`);
        const referenced = sql`SELECT 1 FROM ${this.table(target.table)} ${this.name('t')} WHERE ${joinFragments(matches, ' AND ')}`;
        conditions.push(sql`NOT EXISTS (${referenced})`);
        const query = sql`SELECT 1 AS found FROM ${this.table(table.table)} ${this.name('s')} WHERE ${joinFragments(conditions, ' AND ')}`;
        const found = rowsOfResult(await this.exec(session, query), this.dialect);
        if (found.length > 0) throw noSuchRow(foreignKey, target);
      }
    }
  }

  /**
   * Runs one statement of the call, integers exact — unless the call is past its deadline: then none starts (the
   * caller has its answer; the transaction rolls back at once instead of running on, holding locks).
   */
  private async exec(session: WriteSession, statement: Fragment): Promise<unknown> {
    session.alive();
    return (await exactIntegers(this.dialect, session.trx.raw(statement.text, statement.bindings as Knex.Value[]))) as unknown;
  }

  private assignments(set: ColumnValues): Fragment {
    return joinFragments(
      set.map(([column, value]) => sql`${this.name(column.name)} = ${this.bind(column, value)}`),
      ', ',
    );
  }

  private keyIn(key: readonly ColumnModel[], keys: readonly (readonly unknown[])[], alias?: string): Fragment {
    const tuple = (values: readonly unknown[]) => joinFragments(values.map((value) => sql`${value as Knex.Value}`), ', ');
    const list = joinFragments(keys.map((values) => (key.length === 1 ? tuple(values) : sql`(${tuple(values)})`)), ', ');
    const columns = joinFragments(key.map((column) => (alias ? this.at(alias, column) : this.col(column))), ', ');
    return key.length === 1 ? sql`${columns} IN (${list})` : sql`(${columns}) IN (${list})`;
  }

  private bind(column: ColumnModel, value: unknown): Knex.Value {
    if (value === null) return null;
    if (column.type === 'json') return JSON.stringify(value);
    if (column.type === 'binary' && typeof value === 'string') return Buffer.from(value, 'base64');
    if (column.type === 'array' && Array.isArray(value)) return value as Knex.Value;
    return bindValue(this.dialect, column, value, this.timeZone);
  }

  private quoted(name: string): string {
    return quoteIdentifier(this.dialect, name);
  }

  private name(name: string): Fragment {
    return new Fragment('??', [this.knex.raw(this.quoted(name))]);
  }

  private col(column: ColumnModel): Fragment {
    return this.name(column.name);
  }

  /** `alias.column`. */
  private at(alias: string, column: ColumnModel): Fragment {
    return new Fragment('??', [this.knex.raw(`${this.quoted(alias)}.${this.quoted(column.name)}`)]);
  }

  private table(table: TableModel): Fragment {
    return new Fragment('??', [this.knex.raw(quoteTable(this.dialect, table))]);
  }
}

/** A reference to no row the caller may see: the same words whether the row is another tenant's or none. */
function noSuchRow(foreignKey: ExposedTable['foreignKeys'][number], target: ExposedTable): InvalidArgumentsError {
  const fields = foreignKey.columns.map((column) => column.name).join(', ');
  const visible = target.scopeColumns.length > 0 ? ' that you can see' : '';
  return new InvalidArgumentsError(`${fields}: must reference an existing row of ${target.table.name}${visible}; no such row.`);
}

/** The key of an affected row by field name, as the audit and the result name it. */
function keyRow(plan: WritePlan, values: readonly unknown[]): Row {
  const row: Row = {};
  plan.key.forEach((ref, index) => {
    row[ref.field] = shownKey(ref.column, values[index]);
  });
  return row;
}

/** A key value as query results show it, the same on every dialect (a bigint key is a number when exact). */
function shownKey(column: ColumnModel, value: unknown): unknown {
  return renderValue(column, value);
}

/** Rows a driver's raw result carries (RETURNING). */
function rowsOfResult(result: unknown, dialect: Dialect): Record<string, unknown>[] {
  if (dialect === 'postgresql') return ((result as { rows?: Record<string, unknown>[] }).rows ?? []);
  if (dialect === 'mysql') return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as Record<string, unknown>[]) : [];
  return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
}
