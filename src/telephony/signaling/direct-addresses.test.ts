import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { conferenceDirectHash, regenerateConferenceHash } from '../../api/routes/direct-hash-store.ts';
import { newId, systemClock } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { DirectAddresses } from './direct-addresses.ts';

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DOMAIN = 'sip.test';

/** The lookup and the conference column on one store: the SQL must hold on both dialects. */
async function lookups(store: Store): Promise<void> {
  const customer = newId();
  const other = newId();
  const flow = await store.flows.create({
    customer_id: customer,
    name: 'f',
    detail: '',
    actions: [],
    direct_hash: randomBytes(12).toString('hex'),
  });
  const conferenceId = newId();
  const now = new Date().toISOString();
  await (store.db as unknown as Kysely<any>)
    .insertInto('conferences')
    .values({
      id: conferenceId,
      customer_id: customer,
      type: 'conference',
      status: 'progressing',
      tm_create: now,
      tm_update: now,
      data: '{}',
    })
    .execute();
  const direct = new DirectAddresses({ store, sipDomain: DOMAIN, clock: systemClock });

  assert.deepEqual(await direct.find(flow.direct_hash as string, `${customer}.${DOMAIN}`), {
    kind: 'flow',
    id: flow.id,
    customerId: customer,
    label: 'f',
  });
  assert.equal(await direct.find(flow.direct_hash as string, `${other}.${DOMAIN}`), undefined);
  assert.equal(await conferenceDirectHash(store, conferenceId), '', 'no hash before the first regenerate');
  assert.equal(await regenerateConferenceHash(store, conferenceId, other), undefined, "another customer's");
  const hash = await regenerateConferenceHash(store, conferenceId, customer);
  assert.match(hash ?? '', /^[0-9a-f]{24}$/);
  assert.equal(await conferenceDirectHash(store, conferenceId), hash);
  assert.equal((await direct.find(hash as string, `${customer}.${DOMAIN}`))?.kind, 'conference');
  // The unique index of live hashes: a second live flow cannot take the first one's hash.
  const second = { customer_id: other, name: 'g', detail: '', actions: [], direct_hash: flow.direct_hash as string };
  await assert.rejects(store.flows.create(second), { code: 'ALREADY_EXISTS' });
  await store.flows.delete(flow.id);
  assert.equal((await store.flows.create(second)).direct_hash, flow.direct_hash, 'a deleted row frees its hash');
}

describe('direct addresses over the store', () => {
  it('SQLite: finds a flow and a conference by hash in the owner domain only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-direct-'));
    const store = await openStore({ dataDir: dir, clock: systemClock });
    try {
      await lookups(store);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  const database = `callbin_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  after(async () => {
    await admin.query(`drop database if exists ${database}`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  });

  it('PostgreSQL: the same', async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const dir = await mkdtemp(join(tmpdir(), 'callbin-direct-pg-'));
    const store = await openStore({ dataDir: dir, databaseUrl: url.toString(), clock: systemClock });
    try {
      await lookups(store);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
