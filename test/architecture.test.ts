/**
 * The shape of the code base, checked from the sources alone (no database): no import cycles, one module that
 * touches MCP SDK internals, and layers that follow the pipeline (introspect → policy → catalog → plan → execute,
 * composed per tool kind in tools, served by server, mounted by the adapters). Each failure names the file, the import and the rule it breaks.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SDK = '@modelcontextprotocol/sdk';

// ---------------------------------------------------------------------------------------------------------------
// Reading the imports

interface Import {
  /** The importing file, relative to the repository (`src/adapters/http.ts`). */
  readonly file: string;
  readonly line: number;
  /** As written: `./http/options.js`, `zod`. */
  readonly specifier: string;
  /** The imported source file for a relative import (`src/adapters/http/options.ts`); `undefined` for a package. */
  readonly target: string | undefined;
  /** `import type` / `export type`: erased from the JavaScript. */
  readonly typeOnly: boolean;
  /** `import('…')` at run time: loaded lazily, so not part of a load-order cycle. */
  readonly dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
    });
}

const parsed = new Map<string, ts.SourceFile>();

/** A file of the repository (`src/conexor.ts`), parsed once. */
function parse(file: string): ts.SourceFile {
  let source = parsed.get(file);
  if (!source) {
    source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    parsed.set(file, source);
  }
  return source;
}

/** Every import and re-export of one file: static (type-only or not) and dynamic. */
function importsOf(path: string): Import[] {
  const file = relative(ROOT, path);
  const source = parse(file);
  const found: Import[] = [];
  const add = (literal: ts.StringLiteral, typeOnly: boolean, dynamic: boolean) => {
    const specifier = literal.text;
    found.push({
      file,
      line: source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1,
      specifier,
      target: specifier.startsWith('.') ? resolveRelative(path, specifier) : undefined,
      typeOnly,
      dynamic,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) add(argument, false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `./x.js` → `src/…/x.ts` (or `x/index.ts`), as NodeNext resolves the sources. */
function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return relative(ROOT, found ?? base);
}

const PATHS = sourceFiles(join(ROOT, 'src'));
const FILES = PATHS.map((path) => relative(ROOT, path));
const IMPORTS = PATHS.flatMap(importsOf);
const SOURCE_SET = new Set(FILES);

function describeImport(entry: Import): string {
  const kind = entry.dynamic ? 'import()' : entry.typeOnly ? 'import type' : 'import';
  return `${entry.file}:${entry.line} ${kind} '${entry.specifier}'${entry.target ? ` (${entry.target})` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Cycles

/**
 * The import cycles of a graph, each as a path that ends where it starts (`a → b → a`): for every strongly connected
 * component, the shortest cycle through each of its files, without repeats.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const components = stronglyConnected(graph);
  const cycles = new Map<string, string[]>();
  for (const component of components) {
    const members = new Set(component);
    if (component.length === 1 && !(graph.get(component[0] as string) ?? []).includes(component[0] as string)) continue;
    for (const start of component) {
      const cycle = shortestCycle(graph, start, members);
      if (!cycle) continue;
      const ring = cycle.slice(0, -1);
      // One spelling per cycle: rotated to start at its smallest file.
      const first = ring.indexOf([...ring].sort()[0] as string);
      const rotated = [...ring.slice(first), ...ring.slice(0, first)];
      cycles.set(rotated.join(' → '), [...rotated, rotated[0] as string]);
    }
  }
  return [...cycles.values()].sort((a, b) => a.join().localeCompare(b.join()));
}

function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

function shortestCycle(graph: ReadonlyMap<string, readonly string[]>, start: string, within: ReadonlySet<string>): string[] | undefined {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of graph.get(node) ?? []) {
      if (!within.has(next)) continue;
      if (next === start) {
        const path: string[] = [];
        for (let at: string | undefined = node; at !== undefined; at = at === start ? undefined : previous.get(at)) path.unshift(at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The MCP SDK

interface SdkRule {
  /** The SDK module, e.g. `@modelcontextprotocol/sdk/types.js`. */
  readonly module: string | RegExp;
  /** Whether `import` (a value at run time) is allowed, or only `import type`. */
  readonly values: boolean;
  /** Files, or folders ending in `/`, allowed to import it; `'*'`: every file. */
  readonly in: '*' | readonly string[];
  readonly reason: string;
}

/**
 * Every way `src/` may use the MCP SDK. Its internals — the low-level `Server`'s handler map, McpServer's registered
 * tools, `RequestHandlerExtra` from `shared/protocol.js` — are touched in exactly one small module,
 * `src/server/sdk.ts`, which fails loudly when the SDK changes shape. Everything else uses public types, the
 * transports, and the McpServer the host also sees.
 */
const SDK_RULES: readonly SdkRule[] = [
  {
    module: `${SDK}/types.js`,
    values: false,
    in: '*',
    reason: "the protocol's message, tool and result types: the vocabulary of every layer",
  },
  {
    module: `${SDK}/server/auth/types.js`,
    values: false,
    in: '*',
    reason: "AuthInfo, the caller's identity as transports hand it over (auth, policy, adapters)",
  },
  {
    module: `${SDK}/server/mcp.js`,
    values: false,
    in: '*',
    reason: 'McpServer as a type: what `createServer()` returns and `onServer` receives, public API',
  },
  {
    module: `${SDK}/server/mcp.js`,
    values: true,
    in: ['src/conexor.ts'],
    reason: '`createServer()` constructs the McpServer (src/server/sdk.ts then puts the generated tools on it)',
  },
  {
    module: `${SDK}/types.js`,
    values: true,
    in: ['src/adapters/'],
    reason:
      'protocol constants and message schemas the transports read the wire with ' +
      '(isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS, JSONRPCMessageSchema)',
  },
  {
    module: new RegExp(`^${SDK}/server/(streamableHttp|webStandardStreamableHttp|stdio)\\.js$`),
    values: true,
    in: ['src/adapters/'],
    reason: "the SDK's transports, which the Express, Hono and stdio mounts exist to plug in",
  },
  {
    module: `${SDK}/shared/transport.js`,
    values: false,
    in: ['src/adapters/'],
    reason: "the Transport interface conexor's own stdio transport implements",
  },
  {
    module: new RegExp(`^${SDK}/`),
    values: true,
    in: ['src/server/sdk.ts'],
    reason: 'the one module that touches SDK internals',
  },
];

/** The only module that may reach into underscore-prefixed (private) members: the SDK's internals. */
const SDK_INTERNALS_MODULE = 'src/server/sdk.ts';
/** Underscore-prefixed names that are protocol fields, not private members. */
const PROTOCOL_FIELDS = new Set(['_meta']);

function inScope(scope: SdkRule['in'], file: string): boolean {
  return scope === '*' || scope.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));
}

function sdkRuleFor(entry: Import): SdkRule | undefined {
  return SDK_RULES.find(
    (rule) =>
      (typeof rule.module === 'string' ? entry.specifier === rule.module : rule.module.test(entry.specifier)) &&
      (rule.values || entry.typeOnly) &&
      inScope(rule.in, entry.file),
  );
}

/** `x._private` and `x['_private']` in a file: members a library keeps to itself. */
function privateMembers(file: string): { line: number; name: string }[] {
  const source = parse(file);
  const found: { line: number; name: string }[] = [];
  const visit = (node: ts.Node): void => {
    const name = ts.isPropertyAccessExpression(node)
      ? node.name.text
      : ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)
        ? node.argumentExpression.text
        : undefined;
    if (name?.startsWith('_') && !PROTOCOL_FIELDS.has(name)) {
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, name });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/** A file's layer: its folder under `src/` (`tools`), or its own name for a file at the root (`conexor.ts`). */
function layerOf(file: string): string {
  return file.split('/')[1] as string;
}

/** The composition roots and the CLI: built on every layer, so no layer below may import them. */
const TOP = ['conexor.ts', 'index.ts', 'cli'];

interface LayerRule {
  readonly layer: string;
  /** Layers this layer must not import at all. */
  readonly never: readonly string[];
  /** Layers this layer may import types from, never values. */
  readonly typesOnly?: readonly string[];
  readonly why: string;
}

const BELOW_CATALOG = ['catalog', 'plan', 'execute', 'tools', 'server', 'adapters', ...TOP];

/** Along the pipeline: introspect → policy → catalog → plan → execute; tools composes them per kind; server; adapters. */
const LAYER_RULES: readonly LayerRule[] = [
  {
    layer: 'shared',
    never: ['introspect', 'policy', 'catalog', 'plan', 'tools', 'execute', 'server', 'audit', 'auth', 'limits', 'adapters', 'demo', ...TOP],
    why: 'src/shared holds leaf utilities every layer may use; they depend on nothing of conexor but errors.ts',
  },
  {
    layer: 'telemetry',
    never: ['shared', 'introspect', 'policy', 'catalog', 'plan', 'tools', 'execute', 'server', 'audit', 'auth', 'limits', 'adapters', 'demo', 'errors.ts', ...TOP],
    why: 'src/telemetry is a leaf the server and the adapters report to; it depends on @opentelemetry/api alone, never on what it observes',
  },
  {
    layer: 'introspect',
    never: ['policy', 'audit', 'auth', 'limits', ...BELOW_CATALOG],
    why: 'introspection is the first stage: it reads the catalog and knows nothing of what is built on the model',
  },
  {
    layer: 'policy',
    never: BELOW_CATALOG,
    why: 'the policy decides what is exposed before any tool is built from it',
  },
  {
    layer: 'catalog',
    never: ['plan', 'execute', 'tools', 'server', 'audit', 'adapters', ...TOP],
    why: 'the catalog names and describes what policy exposes; planning and running calls come after it',
  },
  {
    layer: 'plan',
    never: ['execute', 'tools', 'server', 'audit', 'adapters', ...TOP],
    why: 'a plan is made from validated arguments before anything runs; the executor consumes plans, not the reverse',
  },
  {
    layer: 'execute',
    never: ['tools', 'server', 'adapters', ...TOP],
    typesOnly: ['catalog'],
    why: 'the executor runs a plan — never a tool or a catalog entry; serving calls over MCP is above it',
  },
  {
    layer: 'tools',
    never: ['server', 'adapters', ...TOP],
    why: 'tool kinds compose catalog, plan, execute and rendering; the server calls them',
  },
  {
    layer: 'audit',
    never: ['policy', 'catalog', 'plan', 'execute', 'tools', 'server', 'adapters', ...TOP],
    why: 'the policy options configure the audit (policy → audit), and the server records calls (server → audit); never the reverse',
  },
  {
    layer: 'server',
    never: ['adapters', ...TOP],
    why: 'the MCP server is transport-neutral; the adapters mount it',
  },
  {
    layer: 'adapters',
    never: ['introspect', 'policy', 'catalog', 'plan', 'tools', 'execute', 'server', 'audit', 'index.ts', 'cli'],
    why: 'mounts reach conexor through the Conexor interface (src/conexor.ts), not its internals',
  },
];

interface LayerException {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/**
 * Imports that break a layer rule today, each with the reason it is tolerated. Every exception must still be needed:
 * once the import is gone, the test asks for the exception to be deleted too.
 */
const LAYER_EXCEPTIONS: readonly LayerException[] = [];

function layerViolation(entry: Import): string | undefined {
  if (entry.target === undefined) return undefined;
  const from = layerOf(entry.file);
  const to = layerOf(entry.target);
  if (from === to) return undefined;
  const rule = LAYER_RULES.find((candidate) => candidate.layer === from);
  if (!rule) return undefined;
  if (rule.never.includes(to)) return `${from} must not import ${to}: ${rule.why}`;
  if (rule.typesOnly?.includes(to) && !entry.typeOnly) return `${from} may import only types from ${to} (use \`import type\`): ${rule.why}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

describe('architecture', () => {
  it('reads the import graph of src/', () => {
    expect(FILES.length).toBeGreaterThan(50);
    const edge = (file: string, target: string) => IMPORTS.find((entry) => entry.file === file && entry.target === target);
    // A value import, a type-only import, a re-export and a dynamic import, so a broken reader cannot pass silently.
    expect(edge('src/conexor.ts', 'src/server/sdk.ts')).toMatchObject({ typeOnly: false, dynamic: false });
    expect(edge('src/adapters/express.ts', 'src/conexor.ts')).toMatchObject({ typeOnly: true });
    expect(edge('src/index.ts', 'src/audit/index.ts')).toBeDefined();
    expect(edge('src/cli/commands/serve.ts', 'src/cli/http.ts')).toBeDefined();
    expect(IMPORTS.some((entry) => entry.dynamic)).toBe(true);
    const unresolved = IMPORTS.filter((entry) => entry.target !== undefined && !SOURCE_SET.has(entry.target));
    expect(unresolved.map(describeImport), 'relative imports that resolve to no file under src/').toEqual([]);
  });

  it('finds and spells cycles', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c', 'a']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(findCycles(graph)).toEqual([
      ['a', 'b', 'a'],
      ['a', 'b', 'c', 'a'],
      ['d', 'd'],
    ]);
  });

  it('has no import cycle in src/ (type-only imports included, lazy import() excluded)', () => {
    const graph = new Map<string, string[]>(FILES.map((file) => [file, []]));
    for (const entry of IMPORTS) if (entry.target !== undefined && !entry.dynamic) graph.get(entry.file)?.push(entry.target);
    const cycles = findCycles(graph).map((cycle) => cycle.join(' → '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('imports the MCP SDK only as the rules allow', () => {
    const refused = IMPORTS.filter((entry) => (entry.specifier === SDK || entry.specifier.startsWith(`${SDK}/`)) && !sdkRuleFor(entry)).map(
      (entry) =>
        `${describeImport(entry)}: not allowed here` +
        (!entry.typeOnly && sdkRuleFor({ ...entry, typeOnly: true }) ? ' (`import type` would be)' : '') +
        `; SDK internals belong in ${SDK_INTERNALS_MODULE}, see SDK_RULES`,
    );
    expect(refused, refused.join('\n')).toEqual([]);
  });

  it(`reaches into private (underscore) members only in ${SDK_INTERNALS_MODULE}`, () => {
    const found = FILES.filter((file) => file !== SDK_INTERNALS_MODULE).flatMap((file) =>
      privateMembers(file).map(({ line, name }) => `${file}:${line} uses ${name}: SDK internals belong in ${SDK_INTERNALS_MODULE}`),
    );
    expect(found, found.join('\n')).toEqual([]);
    // The rule is not vacuous: the one module does use them.
    expect(privateMembers(SDK_INTERNALS_MODULE).length).toBeGreaterThan(0);
  });

  it('keeps the layers in pipeline order', () => {
    const excused = (entry: Import) => LAYER_EXCEPTIONS.some((exception) => exception.from === entry.file && exception.to === entry.target);
    const violations = IMPORTS.flatMap((entry) => {
      const problem = layerViolation(entry);
      return problem && !excused(entry) ? [`${describeImport(entry)}: ${problem}`] : [];
    });
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('lists only layer exceptions that are still needed', () => {
    const stale = LAYER_EXCEPTIONS.filter(
      (exception) => !IMPORTS.some((entry) => entry.file === exception.from && entry.target === exception.to && layerViolation(entry)),
    ).map((exception) => `${exception.from} → ${exception.to} no longer breaks a rule: delete it from LAYER_EXCEPTIONS`);
    expect(stale, stale.join('\n')).toEqual([]);
  });
});
