import type { Knex } from 'knex';
import type { ColumnModel, Dialect } from '../introspect/model.js';
import type { AggregatePlan, Bucket, GroupKey, HavingCondition, Metric } from '../plan/aggregate.js';
import type { Fragment} from './fragment.js';
import { sql, verbatim } from './fragment.js';
import { storedAsNumbers, wallClockSql } from './sqlite-dates.js';
import type { ValueCuts } from './value-cuts.js';
import { renderValue } from './values.js';

/** Largest decimal scale summed as scaled integers on SQLite (10^18 still fits a 64-bit integer). */
const MAX_EXACT_SCALE = 18;

/**
 * The per-dialect SQL of group keys, time buckets and metrics, and how their values are rendered so that every
 * dialect answers alike: buckets as `YYYY-MM-DD` / `YYYY-MM-DDTHH:00:00` text, counts as numbers, decimal sums
 * exact (SQLite, which has no decimal type, sums them as scaled integers), averages as exact sum / count.
 */
export class AggregateSql {
  constructor(
    private readonly dialect: Dialect,
    private readonly timeZone: string,
    private readonly knexRaw: (sql: string, bindings: readonly Knex.Value[]) => Knex.Raw,
    /** How long group keys were cut when read (see `Executor`). */
    private readonly cuts: ValueCuts,
  ) {}

  group(column: Fragment, group: GroupKey): Fragment {
    if (!group.bucket) return column;
    return this.bucket(this.wallClock(column, group.column), group.bucket);
  }

  /**
   * The column as wall-clock time: instants (PostgreSQL timestamptz, SQLite date-times stored as numbers) converted to
   * the configured zone. `column` is the field's SQL: a mixed SQLite column already reads as epoch milliseconds.
   */
  private wallClock(column: Fragment, model: ColumnModel): Fragment {
    if (this.dialect === 'sqlite' && model.type === 'datetime' && storedAsNumbers(model)) {
      return wallClockSql(model.storage === 'mixed' ? { ...model, storage: 'epoch_ms' } : model, column, this.timeZone);
    }
    if (this.dialect !== 'postgresql') return column;
    if (model.type === 'date') return sql`CAST(${column} AS timestamp)`;
    return model.withTimeZone ? sql`(${column} AT TIME ZONE ${this.timeZone})` : column;
  }

  private bucket(x: Fragment, bucket: Bucket): Fragment {
    switch (this.dialect) {
      case 'postgresql': {
        const format = bucket === 'hour' ? `'YYYY-MM-DD"T"HH24:00:00'` : `'YYYY-MM-DD'`;
        return sql`to_char(date_trunc(${verbatim(`'${bucket}'`)}, ${x}), ${verbatim(format)})`;
      }
      case 'mysql':
        switch (bucket) {
          case 'hour':
            return sql`DATE_FORMAT(${x}, '%Y-%m-%dT%H:00:00')`;
          case 'day':
            return sql`DATE_FORMAT(${x}, '%Y-%m-%d')`;
          case 'week':
            return sql`DATE_FORMAT(DATE_SUB(${x}, INTERVAL WEEKDAY(${x}) DAY), '%Y-%m-%d')`;
          case 'month':
            return sql`DATE_FORMAT(${x}, '%Y-%m-01')`;
          case 'quarter':
            return sql`CONCAT(YEAR(${x}), '-', LPAD((QUARTER(${x}) - 1) * 3 + 1, 2, '0'), '-01')`;
          case 'year':
            return sql`DATE_FORMAT(${x}, '%Y-01-01')`;
        }
        break;
      case 'sqlite':
        switch (bucket) {
          case 'hour':
            return sql`strftime('%Y-%m-%dT%H:00:00', ${x})`;
          case 'day':
            return sql`strftime('%Y-%m-%d', ${x})`;
          case 'week':
            // %w is 0 on Sunday; weeks start on Monday.
            return sql`strftime('%Y-%m-%d', ${x}, '-' || ((CAST(strftime('%w', ${x}) AS INTEGER) + 6) % 7) || ' days')`;
          case 'month':
            return sql`strftime('%Y-%m-01', ${x})`;
          case 'quarter':
            // printf would turn a NULL date into text; the other buckets keep NULL by themselves.
            return sql`CASE WHEN strftime('%Y', ${x}) IS NULL THEN NULL ELSE printf('%s-%02d-01', strftime('%Y', ${x}), ((CAST(strftime('%m', ${x}) AS INTEGER) - 1) / 3) * 3 + 1) END`;
          case 'year':
            return sql`strftime('%Y-01-01', ${x})`;
        }
    }
    throw new Error(`no ${bucket} bucket for ${this.dialect}`);
  }

  /**
   * The select expressions of a metric, by alias suffix: avg also selects its exact sum, count and a float for
   * ordering. Without groups, a sum over no rows is 0 (SQL's `SUM` gives NULL); over rows whose values are all NULL
   * it stays NULL, like avg, min and max.
   */
  metric(metric: Metric, column: Fragment | null, grouped = true): [suffix: string, expression: Fragment][] {
    if (!column || !metric.ref) return [['', verbatim('COUNT(*)')]];
    const model = metric.ref.column;
    switch (metric.fn) {
      case 'count':
        return [['', sql`COUNT(${column})`]];
      case 'count_distinct':
        return [['', sql`COUNT(DISTINCT ${column})`]];
      case 'min':
        return [['', sql`MIN(${column})`]];
      case 'max':
        return [['', sql`MAX(${column})`]];
      case 'sum':
        return [['', grouped ? this.sum(column, model) : sql`CASE WHEN COUNT(*) = 0 THEN 0 ELSE ${this.sum(column, model)} END`]];
      case 'avg':
        return [
          ['', this.sum(column, model)],
          ['_n', sql`COUNT(${column})`],
          ['_avg', this.floatAverage(column)],
        ];
    }
  }

  private sum(column: Fragment, model: ColumnModel): Fragment {
    const scale = this.sqliteScale(model);
    if (scale !== null) return sql`SUM(CAST(ROUND(${column} * ${verbatim(`1${'0'.repeat(scale)}`)}) AS INTEGER))`;
    // Single-precision columns would be summed in single precision on PostgreSQL.
    if (model.type === 'number' && this.dialect === 'postgresql') return sql`SUM(CAST(${column} AS DOUBLE PRECISION))`;
    return sql`SUM(${column})`;
  }

  private floatAverage(column: Fragment): Fragment {
    if (this.dialect === 'postgresql') return sql`CAST(SUM(${column}) AS DOUBLE PRECISION) / NULLIF(COUNT(${column}), 0)`;
    if (this.dialect === 'mysql') return sql`SUM(${column}) * 1e0 / NULLIF(COUNT(${column}), 0)`;
    return sql`CAST(SUM(${column}) AS REAL) / NULLIF(COUNT(${column}), 0)`;
  }

  /** SQLite keeps decimals as floats: their sums are taken as integers scaled by 10^scale, so they cannot drift. */
  private sqliteScale(model: ColumnModel): number | null {
    if (this.dialect !== 'sqlite' || model.type !== 'decimal' || model.scale === null || model.scale < 0 || model.scale > MAX_EXACT_SCALE) return null;
    return model.scale;
  }

  /** The value a having condition compares with, in the unit of the inner query's output. */
  havingValue(condition: HavingCondition, bind: (column: ColumnModel, value: unknown) => Knex.Value): Knex.Value {
    const { metric, value } = condition;
    if (typeof value === 'string' && metric.ref) return bind(metric.ref.column, value);
    const scale = metric.ref && metric.fn === 'sum' ? this.sqliteScale(metric.ref.column) : null;
    if (typeof value !== 'number') return value;
    // PostgreSQL would type the parameter like the output (bigint for a count) and refuse 1.5.
    if (this.dialect === 'postgresql') return this.knexRaw('CAST(? AS NUMERIC)', [String(value)]);
    if (scale === null) return value;
    const scaled = value * 10 ** scale;
    return Math.abs(scaled - Math.round(scaled)) < 1e-6 ? Math.round(scaled) : scaled;
  }

  /** One result row: group outputs then metrics, rendered alike on every dialect. */
  render(plan: AggregatePlan, record: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    plan.groups.forEach((group, index) => {
      const value = record[`g${index}`];
      row[group.output] = group.bucket ? (value == null ? null : String(value)) : this.cuts.render(group.column, record, `g${index}`);
    });
    // `n`: the rows matched, selected when there are no groups.
    const none = plan.groups.length === 0 && Number(record.n ?? 1) === 0;
    plan.metrics.forEach((metric, index) => {
      const value = record[`m${index}`];
      row[metric.output] = none && metric.fn === 'sum' && metric.ref ? zeroOf(metric.ref.column) : this.renderMetric(metric, value, record[`m${index}_n`]);
    });
    return row;
  }

  private renderMetric(metric: Metric, value: unknown, count: unknown): unknown {
    if (metric.fn === 'count' || metric.fn === 'count_distinct') return Number(value ?? 0);
    if (value == null || !metric.ref) return null;
    const model = metric.ref.column;
    if (metric.fn === 'min' || metric.fn === 'max') return renderValue(model, value);
    const sum = this.renderSum(model, value);
    if (metric.fn === 'sum') return sum;
    const n = Number(count ?? 0);
    return n > 0 ? Number(sum) / n : null;
  }

  private renderSum(model: ColumnModel, value: unknown): unknown {
    const scale = this.sqliteScale(model);
    if (scale !== null) return scaledDecimal(BigInt(String(value)), scale);
    if (model.type === 'decimal') return renderValue(model, value);
    if (model.type === 'integer') return renderValue(model, value);
    return Number(value);
  }
}

/** The sum of no rows, in the form sums of the column take: `0`, or `"0.00"` for a decimal of scale 2. */
function zeroOf(model: ColumnModel): unknown {
  if (model.type !== 'decimal') return 0;
  const scale = model.scale !== null && model.scale > 0 && model.scale <= 20 ? model.scale : 0;
  return scale > 0 ? `0.${'0'.repeat(scale)}` : '0';
}

/** `12345` at scale 2 → `"123.45"`. */
function scaledDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${whole}` : whole;
}
