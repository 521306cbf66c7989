import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { NIL_UUID, newId } from '../shared/index.ts';
import type { TimelineEntry } from '../timeline/index.ts';
import { openStore, type Store } from './index.ts';
import { timeOrderedId } from './time-ordered-id.ts';
import { MAX_CHUNKS_READ, TimelineRepo } from './timeline-repo.ts';

const BASE = Date.UTC(2026, 2, 1, 12, 0, 0, 0);

function entry(
  customerId: string,
  ids: { call?: string | undefined; conference?: string },
  seq: number,
): TimelineEntry {
  return {
    id: timeOrderedId(BASE + seq),
    customer_id: customerId,
    call_id: ids.call ?? NIL_UUID,
    activeflow_id: NIL_UUID,
    conference_id: ids.conference ?? NIL_UUID,
    tm: new Date(BASE + seq).toISOString(),
    seq,
    kind: 'sip',
    summary: `entry ${seq}`,
    // A value with toJSON is written as its JSON (a SIP message's text is decoded so at flush).
    data: { n: seq, text: { toJSON: () => `text ${seq}\r\n` } },
  };
}

/** The stored chunks: how many rows, how many entries they hold. */
async function stored(store: Store): Promise<{ rows: number; entries: number }> {
  const { rows } = await sql<{ rows: number; entries: number }>`
    select count(*) as rows, coalesce(sum(count), 0) as entries from timeline_entries`.execute(store.db);
  return { rows: Number(rows[0]?.rows), entries: Number(rows[0]?.entries) };
}

async function withStore(fn: (store: Store, repo: TimelineRepo) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'callbin-timeline-repo-'));
  const store = await openStore({ dataDir: root });
  try {
    await fn(store, new TimelineRepo(store));
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** The embedded store's chunk insert (docs/timeline.md "Storage"). */
describe('timeline repository on SQLite', () => {
  it('writes one chunk per call and flush through the cached multi-row statements, every entry once', async () => {
    await withStore(async (store, repo) => {
      const customer = newId();
      const calls: string[] = Array.from({ length: 85 }, () => newId());
      const firstCall = calls[0]!;
      // 341 entries of 85 calls: 85 chunks = 64 + 16 + 4 + 1 rows, every statement size once.
      await repo.insert(Array.from({ length: 341 }, (_, i) => entry(customer, { call: calls[i % 85] }, i + 1)));
      assert.deepEqual(await stored(store), { rows: 85, entries: 341 });
      // A second flush of three calls: 1 + 1 + 1 rows.
      await repo.insert([342, 343, 344].map((seq) => entry(customer, { call: calls[0] }, seq)));
      await repo.insert([345, 346].map((seq, i) => entry(customer, { call: calls[i + 1] }, seq)));
      assert.deepEqual(await stored(store), { rows: 88, entries: 346 });
      const page = await repo.list({ customerId: customer, callId: firstCall, limit: 1000 });
      assert.deepEqual(
        page.items.map((e) => e.seq),
        [...Array.from({ length: 5 }, (_, i) => 1 + 85 * i), 342, 343, 344],
      );
      assert.deepEqual(page.items[4]?.data, { n: 341, text: 'text 341\r\n' });
      assert.equal(page.items[7]?.summary, 'entry 344');
      assert.equal(page.items[7]?.call_id, firstCall);
      assert.equal(page.next_page_token, '');
    });
  });

  it('rejects a batch the store refuses as a whole, and keeps writing later batches', async () => {
    await withStore(async (store, repo) => {
      const customer = newId();
      const call = newId();
      const first = [entry(customer, { call }, 1), entry(customer, { call }, 2)];
      await repo.insert(first);
      // 20 chunks (16 + 4 rows), the last one's id a stored chunk's again: the first 16 rows go too.
      const refused = Array.from({ length: 20 }, (_, i) => entry(customer, { call: newId() }, i + 3));
      refused[19] = { ...refused[19]!, id: first[0]!.id };
      await assert.rejects(repo.insert(refused));
      await repo.insert([entry(customer, { call }, 23)]);
      const page = await repo.list({ customerId: customer, callId: call, limit: 100 });
      assert.deepEqual(
        page.items.map((e) => e.seq),
        [1, 2, 23],
      );
      assert.deepEqual(await stored(store), { rows: 2, entries: 3 });
    });
  });

  it('reads at most MAX_CHUNKS_READ chunks for a page and goes on from there on the next', async () => {
    await withStore(async (_store, repo) => {
      const customer = newId();
      const conference = newId();
      const n = MAX_CHUNKS_READ + 5;
      // One entry of a call of its own each: n chunks of one conference.
      await repo.insert(Array.from({ length: n }, (_, i) => entry(customer, { call: newId(), conference }, i + 1)));
      const first = await repo.list({ customerId: customer, conferenceId: conference, limit: 5000 });
      assert.equal(first.items.length, MAX_CHUNKS_READ);
      assert.notEqual(first.next_page_token, '');
      const second = await repo.list({
        customerId: customer,
        conferenceId: conference,
        limit: 5000,
        pageToken: first.next_page_token,
      });
      assert.deepEqual(
        [...first.items, ...second.items].map((e) => e.seq),
        Array.from({ length: n }, (_, i) => i + 1),
      );
      assert.equal(second.next_page_token, '');
    });
  });
});
