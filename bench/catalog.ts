/**
 * What the tool catalog costs per schema and dialect: Chinook (11 tables), the SaaS schema of the tests (150 tables,
 * 10 views) and 1,000 generated tables, on SQLite, PostgreSQL and MySQL/MariaDB. For each case:
 *
 * - fixture: time to create the schema (not conexor's cost; here to size test suites);
 * - compile: `createConexor` (introspection, policy, catalog, read-only runner), median of `--runs`; and the
 *   median of each stage alone: `introspect()`, `applyPolicy()`, `buildCatalog()`;
 * - memory: the peak RSS of the process up to the end of the first compile, and RSS and V8 heap after it, with
 *   the conexor alive, after a full GC; in a fresh child process per case so cases do not pollute each other
 *   (better-sqlite3 worker processes are not counted); and the heap the model, the exposed schema and the catalog
 *   each keep;
 * - the `tools/list` result (`conexor.listTools()`): tools, bytes and o200k_base tokens (js-tiktoken) of
 *   `{"tools": [...]}`;
 * - `createServer()`: median of 200 calls; one `count_*` call through `conexor.callTool`: the first (cold,
 *   including worker start on better-sqlite3) and the median of 20 more.
 *
 * Options: conexor runs with `audit: false` (no audit lines on stderr). Catalog options, when given, are passed as
 * `{catalog: ...}` — and only then, so the script runs on code that does not know the option:
 *
 *   npx tsx bench/catalog.ts [--fixtures chinook,saas,generated] [--dialects sqlite,postgresql,mysql] [--runs 3]
 *   CATALOG='{"mode":"typed"}' npx tsx bench/catalog.ts      (or --catalog '{"mode":"typed"}')
 *   npx tsx bench/catalog.ts --json                            (one JSON object per case instead of the table)
 *   npx tsx bench/catalog.ts --writes                          (with `writes: true`: the write tools too)
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { createConexor, type Conexor, type ConexorOptions } from '../src/index.js';
import { introspect } from '../src/introspect/index.js';
import type { Dialect } from '../src/introspect/model.js';
import { resolveOptions } from '../src/policy/options.js';
import { applyPolicy } from '../src/policy/policy.js';
import { buildCatalog } from '../src/tools/listing.js';
import { loadChinook } from '../test/support/chinook.js';
import { DIALECTS, createTestDatabase } from '../test/support/databases.js';
import { createGeneratedTables } from '../test/support/schemas/generated.js';
import { createSaasSchema } from '../test/support/schemas/saas.js';
import { listingTokens } from '../test/support/tokens.js';

const FIXTURES = ['chinook', 'saas', 'generated'] as const;
type Fixture = (typeof FIXTURES)[number];
const FIXTURE_LABEL: Record<Fixture, string> = { chinook: 'Chinook', saas: 'SaaS (150 + 10 views)', generated: '1,000 tables' };
const DIALECT_LABEL: Record<Dialect, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MariaDB' };
/** The count tool timed per fixture, if the catalog has it (else the first `count_` tool, else none). */
const COUNT_TOOL: Record<Fixture, string> = { chinook: 'count_track', saas: 'count_invoices', generated: 'count_table_0001' };
const SERVER_CALLS = 200;
const WARM_CALLS = 20;

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

interface Result {
  fixture: Fixture;
  dialect: Dialect;
  relations: number;
  fixtureMs: number;
  compileMs: number;
  compileRunsMs: number[];
  introspectMs: number;
  policyMs: number;
  catalogMs: number;
  rssMb: number;
  rssBeforeMb: number;
  /** Highest RSS of the child so far (the fixture's creation included), read right after the first compile. */
  peakRssMb: number;
  heapMb: number;
  heapBeforeMb: number;
  /** Heap kept by the model, then the exposed schema, then the catalog (MB, after GC). */
  modelHeapMb: number;
  exposedHeapMb: number;
  catalogHeapMb: number;
  tools: number;
  bytes: number;
  tokens: number;
  tokenizeMs: number;
  createServerUs: number;
  countTool: string | null;
  countFirstMs: number | null;
  countWarmMs: number | null;
}

/**
 * The figures before the budgeted catalog (issue 9; commit eb1b849, same machine): compile ms, peak RSS MB, tools,
 * o200k tokens of tools/list. Every run prints its own figures against them.
 */
const BEFORE: Record<Fixture, Record<Dialect, readonly [compileMs: number, peakRssMb: number, tools: number, tokens: number]>> = {
  chinook: { sqlite: [103, 148, 44, 25_818], postgresql: [147, 149, 44, 25_836], mysql: [98, 152, 44, 25_818] },
  saas: { sqlite: [2_038, 212, 670, 568_600], postgresql: [1_900, 202, 670, 601_400], mysql: [1_631, 208, 670, 600_200] },
  generated: { sqlite: [10_229, 543, 4_000, 3_480_000], postgresql: [8_967, 463, 4_000, 3_480_000], mysql: [10_641, 504, 4_000, 3_520_000] },
};

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const mb = (bytes: number) => bytes / 1024 / 1024;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (the parent does)');
  gc();
  gc();
}

async function createFixture(knex: Knex, fixture: Fixture, dialect: Dialect): Promise<void> {
  if (fixture === 'chinook') await loadChinook(knex, dialect);
  else if (fixture === 'saas') await createSaasSchema(knex, dialect);
  else await createGeneratedTables(knex, dialect, { tables: 1000, columns: 10 });
}

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

/** Child process: one case. */
async function measure(fixture: Fixture, dialect: Dialect, runs: number, options: ConexorOptions): Promise<Result> {
  const db = await createTestDatabase(dialect, 'cx_bench');
  try {
    const [, fixtureMs] = await timed(() => createFixture(db.knex, fixture, dialect));

    collect();
    const before = process.memoryUsage();
    const [conexor, firstMs] = await timed(() => createConexor(db.knex, options));
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    collect();
    const after = process.memoryUsage();

    const compileRunsMs = [firstMs];
    for (let run = 1; run < runs; run += 1) {
      const [extra, ms] = await timed(() => createConexor(db.knex, options));
      compileRunsMs.push(ms);
      await extra.close();
    }

    const listed = await conexor.listTools();
    const bytes = Buffer.byteLength(JSON.stringify({ tools: listed }));
    const createServerUs = timeCreateServer(conexor);
    const count = await timeCount(conexor, COUNT_TOOL[fixture]);
    const relations = conexor.model.tables.length;
    await conexor.close();

    const stages = await timeStages(db.knex, runs, options);
    const [tokens, tokenizeMs] = await timed(() => listingTokens(listed));
    return {
      fixture,
      dialect,
      relations,
      fixtureMs,
      compileMs: median(compileRunsMs),
      compileRunsMs,
      ...stages,
      rssMb: mb(after.rss),
      rssBeforeMb: mb(before.rss),
      peakRssMb,
      heapMb: mb(after.heapUsed),
      heapBeforeMb: mb(before.heapUsed),
      tools: listed.length,
      bytes,
      tokens,
      tokenizeMs,
      createServerUs,
      ...count,
    };
  } finally {
    await db.destroy();
  }
}

function timeCreateServer(conexor: Conexor): number {
  const samples: number[] = [];
  for (let index = 0; index < SERVER_CALLS; index += 1) {
    const started = process.hrtime.bigint();
    conexor.createServer();
    samples.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  return median(samples);
}

async function timeCount(conexor: Conexor, preferred: string): Promise<Pick<Result, 'countTool' | 'countFirstMs' | 'countWarmMs'>> {
  // The typed tool when it is listed, else the generic count on the same table (a compact or budgeted listing).
  const listed = new Set(conexor.tools.map((tool) => tool.name));
  const typed = listed.has(preferred) ? preferred : undefined;
  const generic = !typed && listed.has('count') ? 'count' : undefined;
  const name = typed ?? generic ?? conexor.tools.find((tool) => tool.name.startsWith('count_'))?.name;
  if (!name) return { countTool: null, countFirstMs: null, countWarmMs: null };
  const args = generic ? { table: preferred.slice('count_'.length) } : {};
  const call = async () => {
    const [result, ms] = await timed(() => conexor.callTool(name, args));
    if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
    return ms;
  };
  const countFirstMs = await call();
  const warm: number[] = [];
  for (let index = 0; index < WARM_CALLS; index += 1) warm.push(await call());
  return { countTool: generic ? `count {table: ${args.table}}` : name, countFirstMs, countWarmMs: median(warm) };
}

/** The compile stages alone, and the heap each one keeps (measured on the first run). */
async function timeStages(knex: Knex, runs: number, options: ConexorOptions) {
  const resolved = resolveOptions(options, version);
  const times = { introspect: [] as number[], policy: [] as number[], catalog: [] as number[] };
  const heap = { model: 0, exposed: 0, catalog: 0 };
  for (let run = 0; run < runs; run += 1) {
    const first = run === 0;
    if (first) collect();
    let mark = process.memoryUsage().heapUsed;
    const step = () => {
      collect();
      const now = process.memoryUsage().heapUsed;
      const kept = now - mark;
      mark = now;
      return mb(kept);
    };
    const [model, introspectMs] = await timed(() => introspect(knex, resolved.schemas ? { schemas: resolved.schemas } : {}));
    if (first) heap.model = step();
    const [exposed, policyMs] = await timed(() => applyPolicy(model, resolved));
    if (first) heap.exposed = step();
    const [catalog, catalogMs] = await timed(() => buildCatalog(exposed, resolved));
    if (first) heap.catalog = step();
    times.introspect.push(introspectMs);
    times.policy.push(policyMs);
    times.catalog.push(catalogMs);
    if (catalog.typed.length < 0) throw new Error('unreachable'); // keeps the catalog alive until the heap is read
  }
  return {
    introspectMs: median(times.introspect),
    policyMs: median(times.policy),
    catalogMs: median(times.catalog),
    modelHeapMb: heap.model,
    exposedHeapMb: heap.exposed,
    catalogHeapMb: heap.catalog,
  };
}

function runCase(fixture: Fixture, dialect: Dialect, runs: number, catalog: string | undefined): Promise<Result> {
  const child = fork(fileURLToPath(import.meta.url), ['--case', `${fixture}:${dialect}`, '--runs', String(runs), ...(catalog ? ['--catalog', catalog] : []), ...(values.writes ? ['--writes'] : [])], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: { ...process.env, CONEXOR_LOG_LEVEL: process.env.CONEXOR_LOG_LEVEL ?? 'silent' },
  });
  return new Promise((resolve, reject) => {
    let result: Result | undefined;
    child.on('message', (message) => {
      result = message as Result;
    });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${fixture} on ${dialect}: child exited with ${code}`))));
  });
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const fixed = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));
const thousands = (value: number) => (value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(1)}k`);

function print(results: readonly Result[]): void {
  const header = [
    'schema', 'dialect', 'relations', 'fixture', 'createConexor', 'introspect', 'policy', 'catalog', 'peak RSS', 'RSS', 'heap', 'tools',
    'tools/list', 'o200k tokens', 'createServer()', 'count_* first / warm',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const r of results) {
    console.log(
      `| ${[
        FIXTURE_LABEL[r.fixture],
        DIALECT_LABEL[r.dialect],
        int(r.relations),
        `${(r.fixtureMs / 1000).toFixed(2)} s`,
        `${int(r.compileMs)} ms`,
        `${int(r.introspectMs)} ms`,
        `${int(r.policyMs)} ms`,
        `${int(r.catalogMs)} ms`,
        `${int(r.peakRssMb)} MB`,
        `${int(r.rssMb)} MB`,
        `${int(r.heapMb)} MB`,
        int(r.tools),
        r.bytes >= 1e6 ? `${(r.bytes / 1e6).toFixed(2)} MB` : `${(r.bytes / 1e3).toFixed(1)} kB`,
        thousands(r.tokens),
        `${fixed(r.createServerUs)} µs`,
        `${fixed(r.countFirstMs)} / ${fixed(r.countWarmMs, 2)} ms`,
      ].join(' | ')} |`,
    );
  }
  console.log();
  console.log('Against the figures before the budgeted catalog (issue 9): before → now (before ÷ now)');
  for (const r of results) {
    const [compileMs, peakRssMb, tools, tokens] = BEFORE[r.fixture][r.dialect];
    const ratio = (before: number, now: number) => `${(before / Math.max(now, 1)).toFixed(1)}×`;
    console.log(
      `  ${FIXTURE_LABEL[r.fixture]} on ${DIALECT_LABEL[r.dialect]}: compile ${int(compileMs)} → ${int(r.compileMs)} ms (${ratio(compileMs, r.compileMs)}); ` +
        `peak RSS ${int(peakRssMb)} → ${int(r.peakRssMb)} MB (${ratio(peakRssMb, r.peakRssMb)}); tools ${int(tools)} → ${int(r.tools)}; ` +
        `tokens ${thousands(tokens)} → ${thousands(r.tokens)} (${ratio(tokens, r.tokens)})`,
    );
  }
  console.log();
  console.log('Heap kept (MB, after GC): model / exposed schema / catalog; before compile → after (RSS, heap); tokenizer time');
  for (const r of results) {
    console.log(
      `  ${FIXTURE_LABEL[r.fixture]} on ${DIALECT_LABEL[r.dialect]}: ${fixed(r.modelHeapMb)} / ${fixed(r.exposedHeapMb)} / ${fixed(r.catalogHeapMb)}; ` +
        `RSS ${int(r.rssBeforeMb)} → ${int(r.rssMb)} MB, heap ${int(r.heapBeforeMb)} → ${int(r.heapMb)} MB; ` +
        `compile runs ${r.compileRunsMs.map((ms) => int(ms)).join(', ')} ms; ${r.countTool ?? 'no count tool'}; tokens counted in ${int(r.tokenizeMs)} ms`,
    );
  }
}

const { values } = parseArgs({
  options: {
    case: { type: 'string' },
    fixtures: { type: 'string', default: FIXTURES.join(',') },
    dialects: { type: 'string', default: DIALECTS.join(',') },
    runs: { type: 'string', default: '3' },
    catalog: { type: 'string' },
    json: { type: 'boolean', default: false },
    writes: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(values.runs));
const catalog = values.catalog ?? process.env.CATALOG;
const options: ConexorOptions = {
  audit: false,
  ...(catalog ? ({ catalog: JSON.parse(catalog) } as unknown as ConexorOptions) : {}),
  ...(values.writes ? ({ writes: true } as unknown as ConexorOptions) : {}),
};

if (values.case) {
  const [fixture, dialect] = values.case.split(':') as [Fixture, Dialect];
  const result = await measure(fixture, dialect, runs, options);
  process.send?.(result, () => process.exit(0));
} else {
  const fixtures = (values.fixtures ?? '').split(',').filter(Boolean) as Fixture[];
  const dialects = (values.dialects ?? '').split(',').filter(Boolean) as Dialect[];
  for (const name of fixtures) if (!FIXTURES.includes(name)) throw new Error(`unknown fixture ${name}`);
  for (const name of dialects) if (!DIALECTS.includes(name)) throw new Error(`unknown dialect ${name}`);
  console.log(`catalog options: ${catalog ?? '(none)'}${values.writes ? '; writes: true' : ''}; ${runs} run(s) per case; Node ${process.version}`);
  const results: Result[] = [];
  for (const fixture of fixtures) {
    for (const dialect of dialects) {
      const result = await runCase(fixture, dialect, runs, catalog);
      if (values.json) console.log(JSON.stringify(result));
      else console.error(`${FIXTURE_LABEL[fixture]} on ${DIALECT_LABEL[dialect]}: done`);
      results.push(result);
    }
  }
  if (!values.json) print(results);
}
