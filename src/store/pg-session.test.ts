import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgSession } from './pg-session.ts';
import type { PgTx } from './pg-session.ts';

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The transaction id a statement of `tx` runs in: members of one group share it. */
async function txid(tx: PgTx): Promise<string> {
  const { rows } = await tx.lane.query('select txid_current()::text as id');
  return String(rows[0]?.id);
}

async function insert(tx: PgTx, id: string): Promise<void> {
  await tx.lane.query('insert into items (id) values ($1)', [id]);
}

describe('PgSession (grouped transactions on PostgreSQL)', () => {
  const database = `callbin_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  let pool: pg.Pool;
  let created = false;

  before(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    created = true;
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    pool = new pg.Pool({ connectionString: url.toString(), max: 6 });
    pool.on('error', () => undefined);
    await pool.query('create table items (id text primary key)');
  });

  after(async () => {
    // A failed test leaves its session open: its connection goes back before the pool ends.
    for (const session of sessions) await session.close();
    await pool?.end();
    if (created) await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  const sessions: PgSession[] = [];
  /** One lane whose group never commits for its age: grouping depends only on who waits. */
  const oneLane = (): PgSession => {
    const session = new PgSession(pool, { lanes: 1, maxGroupMs: 60_000 });
    sessions.push(session);
    return session;
  };

  const committed = async (ids: readonly string[]): Promise<string[]> => {
    const { rows } = await pool.query('select id from items where id = any($1) order by id', [ids]);
    return rows.map((r) => String(r.id));
  };

  it('transactions waiting for the connection share one commit, and resolve only after it', async () => {
    const session = oneLane();
    const ids = Array.from({ length: 6 }, (_, i) => `share-${i}-${database}`);
    const seenBeforeCommit: number[] = [];
    const seenAfterCommit: Promise<number>[] = [];
    try {
      const txids = await Promise.all(
        ids.map((id) =>
          session.transaction(async (tx) => {
            await insert(tx, id);
            // Another connection sees nothing of the open group.
            seenBeforeCommit.push((await committed([id])).length);
            tx.afterCommit(() => seenAfterCommit.push(committed([id]).then((rows) => rows.length)));
            return txid(tx);
          }),
        ),
      );
      assert.equal(new Set(txids).size, 1, 'one PostgreSQL transaction for all six');
      assert.deepEqual(seenBeforeCommit, [0, 0, 0, 0, 0, 0]);
      assert.deepEqual(await Promise.all(seenAfterCommit), [1, 1, 1, 1, 1, 1]);
      assert.deepEqual(await committed(ids), [...ids].sort());
    } finally {
      await session.close();
    }
  });

  it('a transaction that throws, or whose statement fails, rolls back alone; the rest of its group commits', async () => {
    const session = oneLane();
    const id = (n: string): string => `alone-${n}-${database}`;
    const groupIds: string[] = [];
    let afterRollback = 0;
    const results = await Promise.allSettled([
      session.transaction(async (tx) => {
        await insert(tx, id('a'));
        groupIds.push(await txid(tx));
      }),
      session.transaction(async (tx) => {
        await insert(tx, id('thrown'));
        groupIds.push(await txid(tx));
        tx.afterCommit(() => afterRollback++);
        throw new Error('domain refused');
      }),
      session.transaction(async (tx) => {
        groupIds.push(await txid(tx));
        await insert(tx, id('dup'));
        await insert(tx, id('dup')); // unique violation: the statement fails
      }),
      session.transaction(async (tx) => {
        await insert(tx, id('b'));
        groupIds.push(await txid(tx));
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason), /duplicate key/);
    assert.equal(new Set(groupIds).size, 1, 'all four ran in one group');
    assert.deepEqual(await committed([id('a'), id('b'), id('thrown'), id('dup')]), [id('a'), id('b')].sort());
    assert.equal(afterRollback, 0, 'no after-commit callback of a rolled-back transaction');
    await session.close();
  });

  it('a lost connection fails the members of its open group; the next transaction takes a new connection', async () => {
    const session = oneLane();
    const id = (n: string): string => `lost-${n}-${database}`;
    let pid = 0;
    const first = session.transaction(async (tx) => {
      await insert(tx, id('first'));
      pid = Number((await tx.lane.query('select pg_backend_pid() as pid')).rows[0]?.pid);
    });
    const second = session.transaction(async (tx) => {
      // The group's connection goes away while this member runs.
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await insert(tx, id('second'));
    });
    const results = await Promise.allSettled([first, second]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(await committed([id('first'), id('second')]), []);
    await session.transaction((tx) => insert(tx, id('third')));
    assert.deepEqual(await committed([id('third')]), [id('third')]);
    await session.close();
  });

  it('close commits the open group; a transaction after close fails', async () => {
    const session = oneLane();
    const id = `close-${database}`;
    const pending = session.transaction((tx) => insert(tx, id));
    await session.close();
    await pending;
    assert.deepEqual(await committed([id]), [id]);
    await assert.rejects(
      session.transaction((tx) => insert(tx, `${id}-late`)),
      /closed/,
    );
  });

  it('transactions spread over the lanes run side by side, each group committing on its own', async () => {
    const session = new PgSession(pool, { lanes: 3 });
    sessions.push(session);
    const ids = Array.from({ length: 3 }, (_, i) => `lanes-${i}-${database}`);
    let running = 0;
    let most = 0;
    await Promise.all(
      ids.map((id) =>
        session.transaction(async (tx) => {
          running++;
          most = Math.max(most, running);
          await tx.lane.query('select pg_sleep(0.05)');
          await insert(tx, id);
          running--;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.deepEqual(await committed(ids), [...ids].sort());
    await session.close();
  });
});
