import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NIL_UUID, newId } from '../shared/index.ts';
import type { TimelineEntry } from '../timeline/index.ts';
import { openStore } from './index.ts';
import { timeOrderedId } from './time-ordered-id.ts';
import { TimelineRepo } from './timeline-repo.ts';

const BASE = Date.UTC(2026, 2, 1, 12, 0, 0, 0);

function entries(customerId: string, callId: string, n: number, firstSeq: number): TimelineEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: timeOrderedId(BASE + firstSeq + i),
    customer_id: customerId,
    call_id: callId,
    activeflow_id: NIL_UUID,
    conference_id: NIL_UUID,
    tm: new Date(BASE + firstSeq + i).toISOString(),
    seq: firstSeq + i,
    kind: 'sip',
    summary: `entry ${firstSeq + i}`,
    // A value with toJSON is written as its JSON (a SIP message's text is decoded so at flush).
    data: { n: firstSeq + i, text: { toJSON: () => `text ${firstSeq + i}\r\n` } },
  }));
}

/** The embedded store's batch insert (docs/timeline.md "Limits, retention, the switch and the cost"). */
describe('timeline repository on SQLite', () => {
  it('writes a batch of any size through the cached multi-row statements, every entry once and in order', async () => {
    const root = await mkdtemp(join(tmpdir(), 'callbin-timeline-repo-'));
    const store = await openStore({ dataDir: root });
    try {
      const repo = new TimelineRepo(store);
      const customer = newId();
      const call = newId();
      // 341 = 256 + 64 + 16 + 4 + 1: every statement size once; then 3 = 1 + 1 + 1.
      await repo.insert(entries(customer, call, 341, 1));
      await repo.insert(entries(customer, call, 3, 342));
      const page = await repo.list({ customerId: customer, callId: call, limit: 1000 });
      assert.equal(page.items.length, 344);
      assert.deepEqual(
        page.items.map((e) => e.seq),
        Array.from({ length: 344 }, (_, i) => i + 1),
      );
      assert.deepEqual(page.items[340]?.data, { n: 341, text: 'text 341\r\n' });
      assert.equal(page.items[343]?.summary, 'entry 344');
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects a batch the store refuses as a whole, and keeps writing later batches', async () => {
    const root = await mkdtemp(join(tmpdir(), 'callbin-timeline-repo-'));
    const store = await openStore({ dataDir: root });
    try {
      const repo = new TimelineRepo(store);
      const customer = newId();
      const call = newId();
      const first = entries(customer, call, 2, 1);
      await repo.insert(first);
      // 20 entries (16 + 4), the last one a stored id again: the first chunk's rows go too.
      const refused = entries(customer, call, 20, 3);
      refused[19] = { ...refused[19]!, id: first[0]!.id };
      await assert.rejects(repo.insert(refused));
      await repo.insert(entries(customer, call, 1, 23));
      const page = await repo.list({ customerId: customer, callId: call, limit: 100 });
      assert.deepEqual(
        page.items.map((e) => e.seq),
        [1, 2, 23],
      );
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
