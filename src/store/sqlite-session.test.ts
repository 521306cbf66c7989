import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { FakeClock, newId } from '../shared/index.ts';
import { openStore } from './index.ts';
import { SqliteSession } from './sqlite-session.ts';
import type { NewOutboxEvent, Store } from './index.ts';

describe('embedded store: grouped commits', () => {
  let dir = '';
  let store: Store;
  let reader: SqliteDatabase.Database;
  const customerId = newId();
  const event = (resourceId: string): NewOutboxEvent => ({
    customer_id: customerId,
    resource_type: 'call',
    resource_id: resourceId,
    type: 'call_updated',
    data: { id: resourceId },
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-session-'));
    store = await openStore({ dataDir: dir, clock: new FakeClock(Date.UTC(2026, 10, 25)) });
    // Another connection sees only what is committed.
    reader = new SqliteDatabase(join(dir, 'callbin.db'), { readonly: true });
  });
  after(async () => {
    reader.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const committed = (resourceId: string): number =>
    (reader.prepare('select count(*) as n from outbox_events where resource_id = ?').get(resourceId) as { n: number })
      .n;

  it('transactions of one event-loop turn share one commit, and each settles only once it is committed', async () => {
    const rid = newId();
    let seenBySecond = -1;
    let seenWhenFirstSettled = -1;
    const first = store
      .transaction((tx) => tx.outbox.append(tx, event(rid)))
      .then(() => {
        seenWhenFirstSettled = committed(rid);
      });
    const second = store.transaction(async (tx) => {
      seenBySecond = committed(rid);
      return tx.outbox.append(tx, event(rid));
    });
    await Promise.all([first, second]);
    assert.equal(
      seenBySecond,
      0,
      "the first transaction is done but not committed yet: it shares the second one's commit",
    );
    assert.equal(seenWhenFirstSettled, 2, 'the first settles once the group (both appends) is committed');
  });

  it('a failing transaction of a group rolls back alone; after-commit callbacks run only for the committed ones', async () => {
    const rid = newId();
    const heard: string[] = [];
    let seenByThird = -1;
    const first = store.transaction(async (tx) => {
      tx.afterCommit(() => heard.push('first'));
      return tx.outbox.append(tx, event(rid));
    });
    const failing = store.transaction(async (tx) => {
      tx.afterCommit(() => heard.push('failing'));
      await tx.outbox.append(tx, event(rid));
      throw new Error('domain write failed');
    });
    const third = store.transaction(async (tx) => {
      seenByThird = committed(rid);
      tx.afterCommit(() => heard.push('third'));
      return tx.outbox.append(tx, event(rid));
    });
    const [a, b, c] = await Promise.allSettled([first, failing, third]);
    assert.equal(b.status, 'rejected');
    assert.equal(seenByThird, 0, 'the first transaction was still uncommitted when the third ran');
    assert.deepEqual(heard, ['first', 'third']);
    const seqs = (await store.outbox.listForResource('call', rid)).map((e) => e.seq);
    assert.deepEqual(seqs, [1, 2], 'the failed append left neither a row nor a gap');
    assert.equal(a.status === 'fulfilled' && a.value.seq, 1);
    assert.equal(c.status === 'fulfilled' && c.value.seq, 2);
  });
});

describe('embedded store: memory undone with lost writes', () => {
  it('onRollback runs for a transaction that fails or a write whose group fails to commit, never after a commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-session-undo-'));
    const database = new SqliteDatabase(join(dir, 'undo.db'));
    database.exec('create table t (v integer not null check (v < 100))');
    const session = new SqliteSession(database);
    const undone: string[] = [];
    try {
      session.onRollback(() => undone.push('outside'));
      await session.transaction(() => {
        session.onRollback(() => undone.push('committed'));
        session.statement('insert into t values (1)').run();
      });
      await assert.rejects(
        session.transaction(() => {
          session.onRollback(() => undone.push('failed'));
          session.statement('insert into t values (2)').run();
          throw new Error('domain write failed');
        }),
        /domain write failed/,
      );
      // A background write whose group cannot commit (a deferred constraint fails at commit).
      database.exec(
        'create table p (id integer primary key); create table c (p integer references p(id) deferrable initially deferred)',
      );
      database.pragma('foreign_keys = ON');
      await session.write(() => {
        session.onRollback(() => undone.push('lost write'));
        session.statement('insert into c values (7)').run();
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(undone, ['failed', 'lost write']);
      assert.deepEqual(database.prepare('select v from t').all(), [{ v: 1 }]);
    } finally {
      session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
