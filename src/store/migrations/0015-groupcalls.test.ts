import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './index.ts';

const NIL = '00000000-0000-0000-0000-000000000000';

/** A call row as a release before groupcalls stored it. */
function oldCall(id: string, data: Record<string, unknown>) {
  return {
    id,
    customer_id: 'c1',
    status: 'hangup',
    direction: 'outgoing',
    master_call_id: NIL,
    tm_create: '2026-01-01T00:00:00.000Z',
    tm_update: '2026-01-01T00:00:00.000Z',
    data: JSON.stringify({ id, status: 'hangup', ...data }),
  };
}

/** Migrates to 0014, stores calls, migrates through 0015 and reads them back. */
function migrationCases(open: () => Promise<{ db: Kysely<any>; close(): Promise<void> }>): void {
  let db: Kysely<any>;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await open());
  });
  after(async () => close());

  it('calls stored before gain groupcall_id, owner_type and owner_id; the groupcalls table is there', async () => {
    const migrator = new Migrator({ db, provider: migrationProvider });
    const before = await migrator.migrateTo('0014_voipbin_fields');
    assert.equal(before.error, undefined);
    await db
      .insertInto('calls')
      .values([
        oldCall('a', { metadata: {} }),
        oldCall('b', { metadata: { groupcall_id: 'a customer key' } }),
        oldCall('c', { groupcall_id: 'kept', owner_type: 'agent', owner_id: 'o' }),
      ])
      .execute();
    const through = await migrator.migrateTo('0015_groupcalls');
    assert.equal(through.error, undefined);
    const rows = await db.selectFrom('calls').select(['id', 'data']).orderBy('id').execute();
    const data = Object.fromEntries(rows.map((r: { id: string; data: string }) => [r.id, JSON.parse(r.data)]));
    assert.deepEqual([data.a.groupcall_id, data.a.owner_type, data.a.owner_id], [NIL, '', NIL]);
    assert.deepEqual(data.b.metadata, { groupcall_id: 'a customer key' }, 'metadata is left alone');
    assert.equal(data.b.groupcall_id, NIL, 'a key of the metadata is not the call field');
    assert.deepEqual(
      [data.c.groupcall_id, data.c.owner_type],
      ['kept', 'agent'],
      'a call with the fields is unchanged',
    );
    assert.equal(data.a.status, 'hangup');
    const count = await sql<{ n: number }>`select count(*) as n from groupcalls`.execute(db);
    assert.equal(Number(count.rows[0]?.n), 0);
  });
}

describe('migration 0015 (sqlite)', () => {
  migrationCases(async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    return { db, close: () => db.destroy() };
  });
});

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('migration 0015 (postgres)', () => {
  migrationCases(async () => {
    const database = `callbin_m15_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const pool = new pg.Pool({ connectionString: url.toString() });
    // The forced drop below ends connections the pool may still hold.
    pool.on('error', () => undefined);
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      close: async () => {
        await db.destroy();
        await admin.query(`drop database if exists ${database} with (force)`);
        await admin.end();
      },
    };
  });
});
