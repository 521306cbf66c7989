import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { SqliteSession } from './sqlite-session.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

const PAGE = 'x'.repeat(4000);

/** Commits `batches` × 50 transactions of about a page each, letting the event loop turn between batches. */
async function writeMany(session: SqliteSession, batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < 50; i++)
      await session.transaction(() => session.statement('insert into t values (?)').run(PAGE));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A WAL database with a table `t`, no automatic checkpoint, and a rewound WAL cut back to 1 MB (as the store does, with a larger limit). */
async function openWalDatabase(): Promise<{ dir: string; file: string; database: SqliteDatabase.Database }> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-wal-'));
  const file = join(dir, 'wal.db');
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  database.pragma('wal_autocheckpoint = 0');
  database.pragma('journal_size_limit = 1000000');
  database.exec('create table t (v text not null)');
  return { dir, file, database };
}

describe('WAL checkpoints beside the commits', () => {
  it('a worker thread checkpoints after every N commits, so the WAL rewinds instead of growing', async () => {
    const { dir, file, database } = await openWalDatabase();
    const checkpointer = new WalCheckpointer(file, { everyCommits: 100 });
    const session = new SqliteSession(database, checkpointer);
    try {
      await writeMany(session, 40); // 2,000 commits, ≈ 8 MB of rows
      assert.ok(checkpointer.completed >= 5, `checkpoints: ${checkpointer.completed}`);
      const walBytes = statSync(`${file}-wal`).size;
      assert.ok(walBytes < 4_000_000, `the WAL grew to ${walBytes} bytes`);
      const other = new SqliteDatabase(file, { readonly: true });
      assert.equal((other.prepare('select count(*) as n from t').get() as { n: number }).n, 2_000);
      other.close();
    } finally {
      session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without it the WAL of the same writes keeps every frame (the baseline the test above beats)', async () => {
    const { dir, file, database } = await openWalDatabase();
    const session = new SqliteSession(database);
    try {
      await writeMany(session, 40);
      assert.ok(statSync(`${file}-wal`).size > 8_000_000);
    } finally {
      session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
