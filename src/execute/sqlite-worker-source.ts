/**
 * The program of a better-sqlite3 worker process, as CommonJS source run with `node -e`. It is a string so that it
 * runs the same from the TypeScript sources (tests, `tsx`) and from `dist/`, with no file to locate at run time.
 *
 * Protocol (IPC with `serialization: 'advanced'`, so BigInt and Buffer values cross intact):
 * - worker → host once: `{ ready: true }`, or `{ failed: message }` when better-sqlite3 cannot be loaded.
 * - host → worker: `{ id?, key?, open?, sql?, bindings?, safe?, forget? }`. `forget` closes databases first; `open`
 *   (re)opens the database `key`; `sql` runs on it. A message without `id` gets no answer.
 * - worker → host: `{ id, opened: true }` once `open` is done when a statement follows; then `{ id, rows, open }` or
 *   `{ id, error: { message, code }, open }`; `open` tells whether `key` is open in the worker afterwards.
 * @module
 */

const SOURCE = String.raw`
'use strict';
let Database;
try {
  Database = require(MODULE_PATH);
} catch (error) {
  process.send({ failed: String((error && error.message) || error) }, () => process.exit(1));
  return;
}
const MAX_STATEMENTS = 100;
const databases = new Map();
const quote = (name) => '"' + String(name).replace(/"/g, '""') + '"';

function open(spec) {
  const options = { readonly: true, fileMustExist: true };
  if (typeof spec.nativeBinding === 'string') options.nativeBinding = spec.nativeBinding;
  const source = spec.snapshot ? Buffer.from(spec.snapshot.buffer, spec.snapshot.byteOffset, spec.snapshot.byteLength) : spec.file;
  const db = new Database(source, options);
  try {
    // Attached files inherit the read-only open flags of the connection.
    for (const [name, file] of spec.attach) db.prepare('ATTACH DATABASE ? AS ' + quote(name)).run(file);
    db.pragma('query_only = ON');
    if (typeof spec.safeIntegers === 'boolean') db.defaultSafeIntegers(spec.safeIntegers);
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, statements: new Map(), safe: spec.safeIntegers === true };
}

function close(key) {
  const entry = databases.get(key);
  if (!entry) return;
  databases.delete(key);
  try {
    entry.db.close();
  } catch {
    // Closing a database whose file went away cannot fail in a way that matters here.
  }
}

function statement(entry, sql) {
  let prepared = entry.statements.get(sql);
  if (prepared === undefined) {
    prepared = entry.db.prepare(sql);
    if (entry.statements.size >= MAX_STATEMENTS) entry.statements.delete(entry.statements.keys().next().value);
    entry.statements.set(sql, prepared);
  }
  return prepared;
}

process.on('message', (message) => {
  if (message.forget) for (const key of message.forget) close(key);
  if (message.id === undefined) return;
  try {
    if (message.open) {
      close(message.key);
      databases.set(message.key, open(message.open));
      // The statement's time limit starts now, not while a large snapshot was being copied.
      if (typeof message.sql === 'string') process.send({ id: message.id, opened: true });
    }
    const entry = databases.get(message.key);
    if (!entry) throw Object.assign(new Error('the database is not open in this worker'), { code: 'CONEXOR_NOT_OPEN' });
    let rows = null;
    if (typeof message.sql === 'string') {
      const prepared = statement(entry, message.sql);
      if (prepared.reader) {
        prepared.safeIntegers(typeof message.safe === 'boolean' ? message.safe : entry.safe);
        rows = prepared.all(message.bindings || []);
      } else {
        // Writes end here with SQLITE_READONLY: the connection is read-only.
        prepared.run(message.bindings || []);
        rows = [];
      }
    }
    process.send({ id: message.id, rows, open: true });
  } catch (error) {
    const code = error && typeof error.code === 'string' ? error.code : undefined;
    process.send({ id: message.id, error: { message: String((error && error.message) || error), code }, open: databases.has(message.key) });
  }
});
// The host went away: nothing is left to answer.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

/** The worker's source, loading better-sqlite3 from `modulePath`. */
export function workerSource(modulePath: string): string {
  // A function body, so the early `return` above is legal in `node -e`.
  return `(function () {\nconst MODULE_PATH = ${JSON.stringify(modulePath)};\n${SOURCE}\n})();`;
}
