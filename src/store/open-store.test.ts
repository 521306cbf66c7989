import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../shared/index.ts';
import { openStore } from './index.ts';

describe('openStore', () => {
  it('creates the data directory and callbin.db for SQLite by default', async () => {
    const root = await mkdtemp(join(tmpdir(), 'callbin-open-'));
    try {
      const dataDir = join(root, 'nested', 'data');
      const store = await openStore({ dataDir });
      assert.equal(store.dialect, 'sqlite');
      assert.ok(existsSync(join(dataDir, 'callbin.db')));
      await store.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects a database URL that is not PostgreSQL', async () => {
    await assert.rejects(
      openStore({ dataDir: tmpdir(), databaseUrl: 'mysql://root@127.0.0.1/x' }),
      (err: unknown) =>
        err instanceof AppError && err.code === 'INVALID_DATABASE_URL' && err.details[0]?.field === 'database_url',
    );
  });

  it('fails with STORE_UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    await assert.rejects(
      openStore({ dataDir: tmpdir(), databaseUrl: 'postgres://postgres@127.0.0.1:1/none' }),
      (err: unknown) => err instanceof AppError && err.code === 'STORE_UNAVAILABLE',
    );
  });
});
