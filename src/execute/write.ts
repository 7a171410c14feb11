/**
 * Runs write plans (insert, update, delete), each in one read-write transaction: the rows a call reaches are found
 * and locked first, within the caller's scope, so a call never changes more than it says, nor a row of another
 * tenant; values are bindings, identifiers come from the introspected model. Whatever fails, the transaction rolls
 * back and the database is as before.
 * @module
 */
import type { Knex } from 'knex';
import { DeniedError, InvalidArgumentsError, QueryError } from '../errors.js';
import type { ColumnModel, DatabaseModel, Dialect, TableModel } from '../introspect/model.js';
import type { ExposedSchema, ExposedTable } from '../policy/policy.js';
import type { ColumnValues, WritePlan, WriteTarget } from '../plan/write.js';
import { bindableKey, exactIntegers, exactKeySql, type Executor, type Row, type ScopeResolver } from './execute.js';
import { Fragment, joinFragments, keyIn, sql, verbatim } from './fragment.js';
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
 * Asks the user to confirm a destructive call that would change `count` rows, named by `keys` (by field, as results
 * show them); resolves `false` when declined or unanswered. Called between two transactions: no lock is held while a
 * person decides.
 */
export type Confirm = (count: number, keys: readonly Row[]) => Promise<boolean>;

/**
 * A foreign key a write must check before it runs: into an exposed table, or into a table with scoping columns whether
 * exposed or not (a write setting it must name a row of the caller's own). Pairs through scoping columns are left out
 * (the caller's value fills them).
 */
export interface ScopedReference {
  readonly columns: readonly ColumnModel[];
  readonly target: TableModel;
  readonly targetColumns: readonly ColumnModel[];
  /** The target's scoping columns. */
  readonly scopeColumns: readonly ColumnModel[];
  /** Whether the caller may see the target table (else errors do not name it). */
  readonly exposed: boolean;
}

/**
 * A foreign key of a table with scoping columns pointing at an exposed table: a delete (or an update of the columns
 * it references) must not reach, through the database's ON DELETE / ON UPDATE rules, the rows of another tenant.
 */
export interface ScopedReferrer {
  readonly source: TableModel;
  readonly columns: readonly ColumnModel[];
  /** The referenced columns, in the exposed table. */
  readonly targetColumns: readonly ColumnModel[];
  /** The source's scoping columns. */
  readonly scopeColumns: readonly ColumnModel[];
}

/** The foreign keys around each exposed table that the scope must follow (see {@link scopedLinks}). */
export interface ScopedLinks {
  /** Foreign keys of the table a write checks: into exposed tables, and into scoped tables exposed or not. */
  references(table: ExposedTable): readonly ScopedReference[];
  /** Foreign keys of scoped tables into the table. */
  referrers(table: ExposedTable): readonly ScopedReferrer[];
}

/**
 * The foreign keys of each exposed table that point into scoped tables, and those of scoped tables that point at
 * it, from the model: the exposed foreign keys leave out tables that are not exposed, and scope must hold through
 * those too.
 */
export function scopedLinks(model: DatabaseModel, exposed: ExposedSchema, scopeColumns: readonly string[]): ScopedLinks {
  const scopeNames = new Set(scopeColumns);
  const byName = new Map(model.tables.map((table) => [`${table.schema}\u0000${table.name}`, table]));
  const exposedTables = new Map(exposed.tables.map((table) => [table.table, table]));
  const outgoing = new Map<ExposedTable, ScopedReference[]>();
  const incoming = new Map<ExposedTable, ScopedReferrer[]>();
  const find = (table: TableModel, name: string) => table.columns.find((candidate) => candidate.name === name);
  for (const source of model.tables) {
    const sourceScope = source.columns.filter((column) => scopeNames.has(column.name));
    for (const key of source.foreignKeys) {
      const target = byName.get(`${key.referencedSchema ?? source.schema}\u0000${key.referencedTable}`);
      if (!target) continue;
      // Pairs through scoping columns are left out: the caller's value fills them.
      const pairs = key.columns.map((column, index) => [column, key.referencedColumns[index] ?? column] as const).filter(([column]) => !scopeNames.has(column));
      const columns = pairs.map(([column]) => find(source, column));
      const targetColumns = pairs.map(([, column]) => find(target, column));
      if (pairs.length === 0 || columns.some((column) => !column) || targetColumns.some((column) => !column)) continue;
      const exposedSource = exposedTables.get(source);
      const targetScope = target.columns.filter((column) => scopeNames.has(column.name));
      // Exposed targets are all checked (one message on every dialect); others only when scoped (the database's
      // constraint cannot tell tenants apart).
      if (exposedSource && (targetScope.length > 0 || exposedTables.has(target))) {
        const list = outgoing.get(exposedSource) ?? [];
        list.push({ columns: columns as ColumnModel[], target, targetColumns: targetColumns as ColumnModel[], scopeColumns: targetScope, exposed: exposedTables.has(target) });
        outgoing.set(exposedSource, list);
      }
      const exposedTarget = exposedTables.get(target);
      if (exposedTarget && sourceScope.length > 0) {
        const list = incoming.get(exposedTarget) ?? [];
        list.push({ source, columns: columns as ColumnModel[], targetColumns: targetColumns as ColumnModel[], scopeColumns: sourceScope });
        incoming.set(exposedTarget, list);
      }
    }
  }
  return { references: (table) => outgoing.get(table) ?? [], referrers: (table) => incoming.get(table) ?? [] };
}

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
    /** The foreign keys the caller's scope must follow (see {@link scopedLinks}). */
    private readonly links: ScopedLinks,
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
          if (!(await confirm(count, asked.map((values) => keyRow(plan, values))))) {
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
      await this.checkReferences(session, plan, [plan.set], scope);
      // A foreign key the call sets only part of: the rest is the row's own.
      const set = new Map(plan.set);
      const partial = (columns: readonly ColumnModel[]) => {
        const given = columns.filter((column) => set.has(column));
        // A NULL in a reference means no reference (MATCH SIMPLE), as the database reads it.
        return given.length > 0 && given.length < columns.length && given.every((column) => set.get(column) !== null);
      };
      await this.checkHeldReferences(session, plan, key, keys, scope, set, partial);
    }
    await this.checkReferrers(session, plan, keys, scope);
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
    await this.checkReferences(session, plan, rows, scope);
    const key = plan.key.map((ref) => ref.column);
    const keys: unknown[][] = [];
    for (const row of rows) {
      const found = await this.insertRow(session, plan.table.table, row, key);
      if (found) keys.push(found);
    }
    // A foreign key a row leaves (partly) to column defaults is checked as stored; without a default it is NULL.
    const completed = (columns: readonly ColumnModel[]) =>
      rows.some((row) => columns.some((column) => column.default !== null && !row.some(([given]) => given === column)));
    const defaulted = this.links.references(plan.table).filter((reference) => completed(reference.columns));
    if (defaulted.length > 0) {
      if (keys.length < rows.length) {
        const fields = defaulted[0]?.columns.map((column) => plan.returning.find((ref) => ref.column === column)?.field ?? column.name).join(', ');
        throw new InvalidArgumentsError(`${fields ?? 'a reference'}: give every column of this reference.`);
      }
      await this.checkHeldReferences(session, plan, key, keys, scope, new Map(), completed);
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
  private async checkReferences(session: WriteSession, plan: WritePlan, rows: readonly ColumnValues[], scope: ScopeResolver): Promise<void> {
    // Named as the model names them: by their fields.
    const fieldOf = (column: ColumnModel) => plan.returning.find((ref) => ref.column === column)?.field ?? column.name;
    for (const reference of this.links.references(plan.table)) {
      const targetScope = scope(reference);
      for (const row of rows) {
        const values = new Map(row);
        if (!reference.columns.every((column) => values.has(column))) continue;
        const pairs = reference.columns.map((column, index) => [reference.targetColumns[index] as ColumnModel, values.get(column), column] as const);
        if (pairs.some(([, value]) => value === null)) continue;
        const conditions = pairs.map(([column, value, local]) => sql`${this.col(column)} = ${this.bind(local, value)}`);
        for (const [column, value] of targetScope) conditions.push(sql`${this.col(column)} = ${this.bind(column, value)}`);
        const query = sql`SELECT 1 AS found FROM ${this.table(reference.target)} WHERE ${joinFragments(conditions, ' AND ')}`;
        const found = rowsOfResult(await this.exec(session, query), this.dialect);
        if (found.length === 0) throw noSuchRow(reference, fieldOf);
      }
    }
  }

  /**
   * Rows of another tenant that reference the rows a delete removes (or whose referenced columns an update changes)
   * would be deleted, set to NULL or changed by the database's ON DELETE / ON UPDATE rule — or, with RESTRICT, make
   * the call fail. Either way the call is refused, in the words the database's refusal gets, before anything changes.
   * Only references from scoped tables are checked: the caller's own referencing rows follow the rules as usual.
   */
  private async checkReferrers(
    session: WriteSession,
    plan: Extract<WritePlan, { operation: 'update' | 'delete' }>,
    keys: readonly (readonly unknown[])[],
    scope: ScopeResolver,
  ): Promise<void> {
    if (keys.length === 0) return;
    const key = plan.key.map((ref) => ref.column);
    const changed = plan.operation === 'update' ? new Set(plan.set.map(([column]) => column)) : null;
    for (const referrer of this.links.referrers(plan.table)) {
      if (changed && !referrer.targetColumns.some((column) => changed.has(column))) continue;
      const own = scope(referrer);
      // Another tenant's row: any scoping column differs from the caller's value (or is NULL).
      const foreign = joinFragments(
        [...own].map(([column, value]) => sql`(${this.at('cx_s', column)} IS NULL OR ${this.at('cx_s', column)} <> ${this.bind(column, value)})`),
        ' OR ',
      );
      const links = joinFragments(
        referrer.columns.map((column, index) => sql`${this.at('cx_t', referrer.targetColumns[index] as ColumnModel)} = ${this.at('cx_s', column)}`),
        ' AND ',
      );
      for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
        const reached = this.keyIn(key, keys.slice(start, start + KEYS_PER_STATEMENT), 'cx_t');
        const query = sql`SELECT 1 AS found FROM ${this.table(referrer.source)} AS cx_s WHERE (${foreign}) AND EXISTS (SELECT 1 FROM ${this.table(plan.table.table)} AS cx_t WHERE ${links} AND ${reached})`;
        const found = rowsOfResult(await this.exec(session, sql`${query} LIMIT 1`), this.dialect);
        if (found.length > 0) {
          const what = keys.length === 1 ? 'this row' : 'these rows';
          throw new InvalidArgumentsError(`The database refused this ${plan.operation}: rows of another table still reference ${what} of ${plan.table.table.name}; change or delete them first. Nothing was changed.`);
        }
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
    plan: WritePlan,
    key: readonly ColumnModel[],
    keys: readonly unknown[][],
    scope: ScopeResolver,
    set: ReadonlyMap<ColumnModel, unknown>,
    applies: (columns: readonly ColumnModel[]) => boolean,
  ): Promise<void> {
    const table = plan.table;
    const own = scope(table);
    const fieldOf = (column: ColumnModel) => plan.returning.find((ref) => ref.column === column)?.field ?? column.name;
    for (const reference of this.links.references(table)) {
      if (keys.length === 0 || !applies(reference.columns)) continue;
      const rest = reference.columns.filter((column) => !set.has(column));
      const targetScope = scope(reference);
      const matches = reference.columns.map((local, index) => {
        const column = reference.targetColumns[index] as ColumnModel;
        return set.has(local) ? sql`${this.at('t', column)} = ${this.bind(local, set.get(local))}` : sql`${this.at('t', column)} = ${this.at('s', local)}`;
      });
      for (const [column, value] of targetScope) matches.push(sql`${this.at('t', column)} = ${this.bind(column, value)}`);
      for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
        const conditions = [this.keyIn(key, keys.slice(start, start + KEYS_PER_STATEMENT), 's')];
        for (const [column, value] of own) conditions.push(sql`${this.at('s', column)} = ${this.bind(column, value)}`);
        for (const column of rest) conditions.push(sql`${this.at('s', column)} IS NOT NULL`);
        const referenced = sql`SELECT 1 FROM ${this.table(reference.target)} ${this.name('t')} WHERE ${joinFragments(matches, ' AND ')}`;
        conditions.push(sql`NOT EXISTS (${referenced})`);
        const query = sql`SELECT 1 AS found FROM ${this.table(table.table)} ${this.name('s')} WHERE ${joinFragments(conditions, ' AND ')}`;
        const found = rowsOfResult(await this.exec(session, query), this.dialect);
        if (found.length > 0) throw noSuchRow(reference, fieldOf);
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
    return keyIn(key.map((column) => (alias ? this.at(alias, column) : this.col(column))), keys);
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
function noSuchRow(reference: ScopedReference, fieldOf: (column: ColumnModel) => string): InvalidArgumentsError {
  const fields = reference.columns.map(fieldOf).join(', ');
  // A table the caller cannot see is not named: the message must not reveal it either.
  const of = reference.exposed ? ` of ${reference.target.name}` : '';
  const visible = reference.scopeColumns.length > 0 ? ' that you can see' : '';
  return new InvalidArgumentsError(`${fields}: must reference an existing row${of}${visible}; no such row.`);
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
