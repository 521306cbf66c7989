import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { AppError, silentLogger } from '../../src/shared/index.ts';
import { startCallbinProcess } from '../support/process.ts';

/** The PostgreSQL server this file may create a database on, as the store contract suite uses. */
const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
/** A port nothing listens on: a NATS URL that does not answer. */
const DEAD_NATS = 'nats://127.0.0.1:1';

function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The environment of one node on loopback, ephemeral ports, a fresh data directory. */
async function nodeEnv(database: string, extra: Record<string, string>): Promise<Record<string, string>> {
  return {
    CALLBIN_DATA_DIR: await mkdtemp(join(tmpdir(), 'callbin-cluster-start-')),
    CALLBIN_DATABASE_URL: databaseUrl(database),
    CALLBIN_HTTP_HOST: '127.0.0.1',
    CALLBIN_HTTP_PORT: '0',
    CALLBIN_SIP_HOST: '127.0.0.1',
    CALLBIN_SIP_PORT: '0',
    CALLBIN_LOG_LEVEL: 'silent',
    ...extra,
  };
}

describe('cluster start-up errors', () => {
  const run = randomBytes(4).toString('hex');
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  const databases: string[] = [];
  const dataDirs: string[] = [];
  const running: CallbinHandle[] = [];

  /** A fresh, empty database of this run. */
  async function freshDatabase(label: string): Promise<string> {
    const name = `callbin_start_${label}_${run}`;
    await admin.query(`create database ${name}`);
    databases.push(name);
    return name;
  }

  async function start(env: Record<string, string>): Promise<CallbinHandle> {
    dataDirs.push(env['CALLBIN_DATA_DIR']!);
    const handle = await startCallbin(loadConfig(env), { logger: silentLogger });
    running.push(handle);
    return handle;
  }

  async function tablesOf(database: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: databaseUrl(database), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      const res = await client.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = 'public'",
      );
      return res.rows.map((r) => r.table_name);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    // Never skipped: without PostgreSQL this fails, naming the server.
    await admin.connect();
  });
  after(async () => {
    for (const h of running) await h.close();
    for (const d of dataDirs) await rm(d, { recursive: true, force: true });
    for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('a NATS URL that does not answer rejects NATS_UNREACHABLE naming the URL; the database stays empty', async () => {
    const database = await freshDatabase('deadnats');
    const env = await nodeEnv(database, { CALLBIN_NATS_URL: DEAD_NATS, CALLBIN_NODE_ID: `dead-${run}` });
    await assert.rejects(start(env), (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, 'NATS_UNREACHABLE');
      assert.match(err.message, /^cannot reach NATS at nats:\/\/127\.0\.0\.1:1: /);
      return true;
    });
    assert.deepEqual(await tablesOf(database), [], 'nothing was created in the database');
  });

  it('a second node with a running node id rejects NODE_ID_IN_USE; the first one still serves', async () => {
    const database = await freshDatabase('clash');
    const nodeId = `clash-${run}`;
    const a = await start(await nodeEnv(database, { CALLBIN_NATS_URL: natsUrl, CALLBIN_NODE_ID: nodeId }));
    assert.equal(a.nodeId, nodeId);
    assert.ok(a.bus, 'cluster mode exposes the bus');
    const envB = await nodeEnv(database, { CALLBIN_NATS_URL: natsUrl, CALLBIN_NODE_ID: nodeId });
    await assert.rejects(start(envB), (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, 'NODE_ID_IN_USE');
      assert.match(err.message, new RegExp(`node id clash-${run} \\(API ${a.apiUrl.replaceAll('.', '\\.')}`));
      return true;
    });
    const key = a.admin?.accessKey;
    assert.ok(key, 'the first node created the project admin');
    const res = await fetch(`${a.apiUrl}/v1.0/customer`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200, 'the running node still answers its API');

    // Once the first node is gone, its id is free again.
    await a.close();
    const again = await start(envB);
    assert.equal(again.nodeId, nodeId);
    await again.close();
  });

  it('a login token issued by one node is good on every node: the nodes share their keys through the store', async () => {
    const database = await freshDatabase('jwt');
    const a = await start(await nodeEnv(database, { CALLBIN_NATS_URL: natsUrl, CALLBIN_NODE_ID: `jwt-a-${run}` }));
    const b = await start(await nodeEnv(database, { CALLBIN_NATS_URL: natsUrl, CALLBIN_NODE_ID: `jwt-b-${run}` }));
    const key = a.admin?.accessKey;
    assert.ok(key, 'the first node created the project admin');
    const json = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const user = await fetch(`${a.apiUrl}/v1.0/users`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: `ops-${run}`, password: 'ops password 1' }),
    });
    assert.equal(user.status, 200, await user.text());
    const login = await fetch(`${a.apiUrl}/v1.0/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `ops-${run}`, password: 'ops password 1' }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    for (const node of [a, b]) {
      const res = await fetch(`${node.apiUrl}/v1.0/customer`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, `${node.nodeId}: ${await res.text()}`);
    }
    // A token signed with another key is refused on both.
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.alloc(32, 7).toString('base64url')}`;
    for (const node of [a, b]) {
      const res = await fetch(`${node.apiUrl}/v1.0/customer`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(res.status, 401);
    }
    await b.close();
    await a.close();
  });

  it('`callbin start` with a NATS URL that does not answer prints one line naming NATS and the URL and exits 1', async () => {
    const database = await freshDatabase('cli');
    const env = await nodeEnv(database, {
      CALLBIN_NATS_URL: DEAD_NATS,
      CALLBIN_NODE_ID: `cli-${run}`,
      CALLBIN_LOG_LEVEL: 'warn',
    });
    dataDirs.push(env['CALLBIN_DATA_DIR']!);
    const p = startCallbinProcess(env);
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    const lines = p
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    assert.equal(code, 1, p.output());
    assert.equal(lines.length, 1, `one line: ${p.output()}`);
    assert.match(lines[0]!, /^callbin: NATS_UNREACHABLE: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: \S/);
    assert.deepEqual(await tablesOf(database), [], 'nothing was created in the database');
  });
});
