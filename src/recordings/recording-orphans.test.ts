import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock, newId } from '../shared/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  newRecording,
  transition,
  type Recording,
  type RecordingEvent,
  type RecordingStorePort,
} from './index.ts';

/** Rows in memory with the node that made each, as the store stamps it. */
class NodeStore implements RecordingStorePort {
  readonly rows = new Map<string, { node: string; recording: Recording }>();
  readonly events: RecordingEvent[] = [];
  node = '';
  async save(recording: Recording, events: readonly RecordingEvent[]): Promise<void> {
    this.rows.set(recording.id, { node: this.rows.get(recording.id)?.node ?? this.node, recording });
    this.events.push(...events);
  }
  async get(id: string): Promise<Recording | undefined> {
    return this.rows.get(id)?.recording;
  }
  async listUnfinished(filter: { nodeId?: string } = {}): Promise<Recording[]> {
    return [...this.rows.values()]
      .filter((r) => r.recording.status !== 'ended' && (filter.nodeId === undefined || r.node === filter.nodeId))
      .map((r) => r.recording);
  }
  async delete(): Promise<Recording | undefined> {
    return undefined;
  }
}

test("recording service: endOrphaned ends a dead node's recordings at its last beat, touching no file", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-orphans-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new FakeClock(Date.UTC(2026, 3, 1, 9, 0, 0));
  const store = new NodeStore();
  let repairs = 0;
  const storage = new LocalRecordingStorage({
    dir,
    repairWav: async () => {
      repairs += 1;
      return { durationSec: 0 };
    },
  });
  const service = new RecordingService({ store, storage, clock });
  const running = (node: string) => {
    store.node = node;
    const rec = newRecording({
      id: newId(),
      customer_id: newId(),
      reference_type: 'call',
      reference_id: newId(),
      layout: 'split',
      nowMs: clock.now(),
    });
    return store.save(transition(rec, 'recording', clock.now()), []).then(() => rec.id);
  };
  const dead = await running('node-a');
  const alive = await running('node-b');
  const lastBeat = clock.now() + 4_000;
  clock.advance(14_000);
  const reasons: string[] = [];
  service.on('ended', (_rec, reason) => reasons.push(reason));

  const ended = await service.endOrphaned({ nodeId: 'node-a', lastAliveMs: lastBeat });

  assert.deepEqual(
    ended.map((r) => r.id),
    [dead],
  );
  const rec = await store.get(dead);
  assert.deepEqual(
    [rec?.status, rec?.duration_sec, rec?.tm_end, rec?.files],
    ['ended', 4, new Date(lastBeat).toISOString(), []],
    'ended at the last beat with the seconds known; its files are on the dead node',
  );
  assert.equal(repairs, 0, 'no file repaired here');
  assert.deepEqual(
    store.events.map((e) => e.type),
    ['recording_finished'],
  );
  assert.deepEqual(reasons, ['repaired']);
  assert.equal((await store.get(alive))?.status, 'recording', "another node's recording runs on");
  assert.deepEqual(await service.endOrphaned({ nodeId: 'node-a', lastAliveMs: lastBeat }), [], 'nothing twice');
});
