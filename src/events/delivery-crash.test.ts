import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WebhookReceiver } from '../../test/support/webhook-receiver.ts';
import { FakeClock, newId, silentLogger } from '../shared/index.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { EventHub } from './event-hub.ts';
import { EventPublisher } from './event-publisher.ts';

/**
 * What a kill -9 leaves of the embedded store at this instant: the database file and its WAL as
 * they are on disk (a transaction not yet committed is in neither). Synchronous, so nothing this
 * process does can commit in between.
 */
function crashCopy(fromDir: string, toDir: string): void {
  for (const name of ['callbin.db', 'callbin.db-wal']) {
    if (existsSync(join(fromDir, name))) copyFileSync(join(fromDir, name), join(toDir, name));
  }
}

/** True when every resource's seqs never go back (duplicates allowed). */
function backwardSteps(received: readonly { resource: string; seq: number }[]): string[] {
  const last = new Map<string, number>();
  const steps: string[] = [];
  for (const { resource, seq } of received) {
    const before = last.get(resource) ?? 0;
    if (seq < before) steps.push(`${resource}: ${seq} after ${before}`);
    last.set(resource, seq);
  }
  return steps;
}

describe('DeliveryWorker across a crash (SQLite)', () => {
  it('a process killed while sending seq n+1 never makes the receiver see seq n again after it: the restart resumes in order', async (t) => {
    const dirA = await mkdtemp(join(tmpdir(), 'callbin-delivery-crash-a-'));
    const dirB = await mkdtemp(join(tmpdir(), 'callbin-delivery-crash-b-'));
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const receiver = await WebhookReceiver.start();
    const storeA: Store = await openStore({ dataDir: dirA, clock });
    let storeB: Store | undefined;
    const workers: DeliveryWorker[] = [];
    t.after(async () => {
      for (const w of workers) await w.stop();
      await receiver.close();
      await storeA.close();
      await storeB?.close();
      await rm(dirA, { recursive: true, force: true });
      await rm(dirB, { recursive: true, force: true });
    });
    const customer = await storeA.customers.create({
      name: 'c',
      detail: '',
      email: '',
      webhook_method: 'POST',
      webhook_uri: receiver.url(),
      webhook_secret: 'whsec_crash',
      webhook_event_types: [],
    });
    // One resource: a second queue's round would commit the first one's outcome by chance.
    const resources = [newId()];
    const hub = new EventHub();
    const publisher = new EventPublisher({ hub });
    for (let seq = 1; seq <= 4; seq++) {
      for (const id of resources) {
        await publisher.publishNow(storeA, {
          customer_id: customer.id,
          resource_type: 'call',
          resource_id: id,
          type: 'call_updated',
          data: { id, seq },
        });
      }
    }

    // The receiver keeps what reaches it; the first seq 2 of a resource "kills" process A: the
    // store is copied as a crash would leave it, and nothing A sends afterwards counts.
    const received: { resource: string; seq: number }[] = [];
    let phase: 'A' | 'dead' | 'B' = 'A';
    receiver.respondWith((req) => {
      if (phase === 'dead') return 503;
      const body = req.json as { seq: number; data: { id: string } };
      received.push({ resource: body.data.id, seq: body.seq });
      if (phase === 'A' && body.seq === 2) {
        crashCopy(dirA, dirB);
        phase = 'dead';
      }
      return 200;
    });
    const workerA = new DeliveryWorker({
      store: storeA,
      clock,
      logger: silentLogger,
      mode: 'local',
      hub,
      random: () => 0.5,
    });
    workers.push(workerA);
    await workerA.start();
    await receiver.waitFor(() => phase === 'dead', 10_000, 'a seq 2');
    await workerA.stop();

    storeB = await openStore({ dataDir: dirB, clock });
    phase = 'B';
    const workerB = new DeliveryWorker({
      store: storeB,
      clock,
      logger: silentLogger,
      mode: 'local',
      random: () => 0.5,
    });
    workers.push(workerB);
    await workerB.start();
    const deliveredB = async () =>
      (await storeB!.deliveries.list({ customerId: customer.id, pageSize: 100, filter: { status: 'delivered' } })).items
        .length;
    const deadline = Date.now() + 10_000;
    while ((await deliveredB()) < resources.length * 4) {
      assert.ok(Date.now() < deadline, 'the restarted worker delivers everything');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const id of resources) {
      const seqs = received.filter((r) => r.resource === id).map((r) => r.seq);
      assert.deepEqual([...new Set(seqs)], [1, 2, 3, 4], `every seq of ${id} arrived: ${seqs.join(',')}`);
    }
    assert.deepEqual(
      backwardSteps(received),
      [],
      `per-resource order held across the crash: ${JSON.stringify(received)}`,
    );
  });
});
