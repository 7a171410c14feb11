/**
 * A whole session with a database password and an API key in play: neither may appear in any tool definition,
 * result, error, HTTP response, log line or audit event.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { conexorExpress } from '../../src/adapters/express.js';
import { StaticApiKeyStore, createConexor, functionSink, generateApiKey, type AuditEvent } from '../../src/index.js';
import type { Dialect } from '../../src/introspect/model.js';
import { DIALECTS, MYSQL_URL, PG_URL, uniqueName } from '../support/databases.js';

interface Session {
  knex: Knex;
  password: string | null;
  /** A URL for an unreachable server with the same credentials. */
  unreachable: string | null;
  client: 'pg' | 'mysql2' | null;
  cleanup(): Promise<void>;
}

/** A Knex whose connection carries a password (PostgreSQL trusts, so any password works; MariaDB gets a real user). */
async function sessionWithPassword(dialect: Dialect): Promise<Session> {
  const password = `S3cret-${randomBytes(8).toString('hex')}`;
  if (dialect === 'sqlite') {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    return { knex, password: null, unreachable: null, client: null, cleanup: () => knex.destroy() };
  }
  const name = uniqueName('cx_secret');
  if (dialect === 'postgresql') {
    const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE SCHEMA "${name}"`);
    const url = new URL(PG_URL);
    url.password = password;
    const knex = knexFactory({ client: 'pg', connection: url.toString(), searchPath: [name], pool: { min: 0, max: 4 } });
    url.port = '1';
    return {
      knex,
      password,
      unreachable: url.toString(),
      client: 'pg',
      async cleanup() {
        await knex.destroy();
        await admin.raw(`DROP SCHEMA "${name}" CASCADE`);
        await admin.destroy();
      },
    };
  }
  const admin = knexFactory({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE \`${name}\``);
  await admin.raw(`CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'`);
  await admin.raw(`CREATE USER '${name}'@'localhost' IDENTIFIED BY '${password}'`);
  await admin.raw(`GRANT ALL ON \`${name}\`.* TO '${name}'@'%'`);
  await admin.raw(`GRANT ALL ON \`${name}\`.* TO '${name}'@'localhost'`);
  const url = new URL(MYSQL_URL);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  const knex = knexFactory({ client: 'mysql2', connection: url.toString(), pool: { min: 0, max: 4 } });
  url.port = '1';
  return {
    knex,
    password,
    unreachable: url.toString(),
    client: 'mysql2',
    async cleanup() {
      await knex.destroy();
      await admin.raw(`DROP DATABASE \`${name}\``);
      await admin.raw(`DROP USER '${name}'@'%'`);
      await admin.raw(`DROP USER '${name}'@'localhost'`);
      await admin.destroy();
    },
  };
}

describe.each(DIALECTS)('no secret leaves conexor on %s', (dialect) => {
  it('keeps the database password and the API key out of every output', async () => {
    const session = await sessionWithPassword(dialect);
    const seen: string[] = [];
    const logLines: string[] = [];
    const events: AuditEvent[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    const key = generateApiKey({ name: 'leak-test' });
    const secretPart = key.key.slice(16);
    let server: Server | undefined;
    try {
      await session.knex.schema.createTable('accounts', (table) => {
        table.increments('id');
        table.string('email');
        table.string('api_token');
        table.integer('tenant_id');
      });
      await session.knex('accounts').insert([{ email: 'ada@example.com', api_token: 'tok-1', tenant_id: 1 }]);
      await session.knex.schema.createTable('doomed', (table) => table.increments('id'));

      const cx = await createConexor(session.knex, {
        logger,
        audit: { sinks: [functionSink((batch) => void events.push(...batch))] },
        scope: { columns: ['tenant_id'], values: ({ header }) => ({ tenant_id: header('x-tenant') ? 1 : undefined }) },
      });
      const app = express();
      app.use('/mcp', conexorExpress(cx, { auth: { store: new StaticApiKeyStore([key.record]) } }));
      server = await new Promise<Server>((resolve) => {
        const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);

      const connect = async (headers: Record<string, string>) => {
        const client = new Client({ name: 'leak-test', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
        return client;
      };
      const client = await connect({ Authorization: `Bearer ${key.key}`, 'x-tenant': '1' });
      seen.push(JSON.stringify(await client.listTools()), JSON.stringify(await client.listResources()));
      seen.push(JSON.stringify(await client.readResource({ uri: 'conexor://schema' })), client.getInstructions() ?? '');
      const calls: [string, Record<string, unknown>][] = [
        ['query_accounts', {}],
        ['count_accounts', { where: [{ field: 'email', op: 'contains', value: key.key }] }],
        ['query_accounts', { where: [{ field: 'api_token', op: 'eq', value: session.password ?? secretPart }] }],
        ['query_accounts_by_id', { id: 'not-a-number' }],
      ];
      for (const [name, args] of calls) seen.push(JSON.stringify(await client.callTool({ name, arguments: args })));
      await session.knex.schema.dropTable('doomed');
      seen.push(JSON.stringify(await client.callTool({ name: 'count_doomed', arguments: {} })));
      const noTenant = await connect({ Authorization: `Bearer ${key.key}` });
      seen.push(JSON.stringify(await noTenant.callTool({ name: 'count_accounts', arguments: {} })));

      // Wrong keys: the key with its secret altered, and a key in the wrong header form.
      for (const authorization of [`Bearer ${key.key.slice(0, -2)}xx`, key.key, `Bearer ${key.key} extra`]) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        seen.push(String(response.status), JSON.stringify([...response.headers]), await response.text());
      }

      // An unreachable server with the same credentials fails at creation without echoing them.
      if (session.unreachable && session.client) {
        const broken = knexFactory({ client: session.client, connection: session.unreachable, acquireConnectionTimeout: 2_000, pool: { min: 0, max: 1 } });
        const error = await createConexor(broken, { logger }).then(
          () => null,
          (caught: unknown) => caught,
        );
        await broken.destroy();
        expect(error).toBeInstanceOf(Error);
        seen.push((error as Error).message, String((error as Error).stack));
      }
      await cx.close();
    } finally {
      server?.close();
      await session.cleanup();
    }

    expect(events.length).toBeGreaterThanOrEqual(6);
    expect(logLines.length).toBeGreaterThan(0);
    const everything = [...seen, ...logLines, JSON.stringify(events)].join('\n');
    expect(everything).not.toContain(key.key);
    expect(everything).not.toContain(secretPart);
    if (session.password) expect(everything).not.toContain(session.password);
  });
});
