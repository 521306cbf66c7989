import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WavWriter, repairWav } from '../media/index.ts';
import { FakeClock, newId } from '../shared/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  newRecording,
  transition,
  type CaptureResult,
  type Recording,
  type RecordingEvent,
  type RecordingSource,
  type RecordingStorePort,
} from './index.ts';

/** Rows and events in memory, as the store adapter keeps them in the database. */
class MemoryStore implements RecordingStorePort {
  readonly rows = new Map<string, Recording>();
  readonly deleted = new Set<string>();
  readonly events: { type: string; recording: Recording }[] = [];
  async save(recording: Recording, events: readonly RecordingEvent[]): Promise<void> {
    this.rows.set(recording.id, recording);
    this.events.push(...events);
  }
  async get(id: string, scope: { customerId?: string } = {}): Promise<Recording | undefined> {
    const row = this.rows.get(id);
    if (!row || this.deleted.has(id) || (scope.customerId !== undefined && row.customer_id !== scope.customerId))
      return undefined;
    return row;
  }
  async listUnfinished(): Promise<Recording[]> {
    return [...this.rows.values()].filter((r) => r.status !== 'ended');
  }
  async delete(id: string, scope: { customerId?: string } = {}): Promise<Recording | undefined> {
    const row = await this.get(id, scope);
    if (row) this.deleted.add(id);
    return row;
  }
}

/** A source that writes fixed bytes per file and can end by itself like a key press would. */
class FakeSource implements RecordingSource {
  readonly layout = 'split' as const;
  onEnded: ((result: CaptureResult) => void) | undefined;
  stops = 0;
  async start(basePath: string, onEnded: (result: CaptureResult) => void): Promise<{ stop(): Promise<CaptureResult> }> {
    await writeFile(`${basePath}_in.wav`, 'said');
    await writeFile(`${basePath}_out.wav`, 'heard!');
    this.onEnded = onEnded;
    let result: CaptureResult | undefined;
    return {
      stop: async () => {
        this.stops += 1;
        result ??= { reason: 'manual', durationSec: 2.5 };
        return result;
      },
    };
  }
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-recsvc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const storage = new LocalRecordingStorage({ dir: join(dir, 'recordings'), repairWav });
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0));
  return {
    dir: join(dir, 'recordings'),
    store,
    storage,
    clock,
    service: new RecordingService({ store, storage, clock }),
  };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('recording service: start then stop stores recording_started and recording_finished with each file size and sha256', async (t) => {
  const { store, service, clock } = await setup(t);
  const source = new FakeSource();
  const customerId = newId();
  const callId = newId();
  const started = await service.startRecording({
    reference_type: 'call',
    reference_id: callId,
    customer_id: customerId,
    source,
  });
  assert.equal(started.status, 'recording');
  assert.equal(service.isLive(started.id), true);
  clock.advance(2500);
  const ended = await service.stopRecording(started.id);
  assert.ok(ended);
  assert.equal(ended.status, 'ended');
  assert.equal(ended.duration_sec, 2.5);
  assert.deepEqual(ended.files, [
    { filename: `${started.id}_in.wav`, bytes: 4, sha256: sha('said') },
    { filename: `${started.id}_out.wav`, bytes: 6, sha256: sha('heard!') },
  ]);
  assert.deepEqual(
    store.events.map((e) => [e.type, e.recording.status]),
    [
      ['recording_started', 'recording'],
      ['recording_finished', 'ended'],
    ],
  );
  assert.equal(service.isLive(started.id), false);
  assert.deepEqual(await service.stopRecording(started.id), ended, 'stopping again changes nothing');
  assert.equal(source.stops, 1);
});

test('recording service: a capture ending by itself (key) ends the recording once and reports its reason', async (t) => {
  const { store, service } = await setup(t);
  const source = new FakeSource();
  const reasons: string[] = [];
  service.on('ended', (rec, reason) => reasons.push(`${rec.status}:${reason}`));
  const started = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: newId(),
    source,
  });
  source.onEnded?.({ reason: 'key', durationSec: 1 });
  const ended = await service.stopRecording(started.id);
  assert.equal(ended?.status, 'ended');
  assert.deepEqual(reasons, ['ended:key']);
  assert.equal(store.events.filter((e) => e.type === 'recording_finished').length, 1);
});

test('recording service: a source that fails to open ends the recording without recording_started and rethrows', async (t) => {
  const { store, service } = await setup(t);
  const failing: RecordingSource = {
    layout: 'split',
    start: async () => {
      throw new Error('no media');
    },
  };
  await assert.rejects(
    service.startRecording({ reference_type: 'call', reference_id: newId(), customer_id: newId(), source: failing }),
    /no media/,
  );
  assert.deepEqual(
    store.events.map((e) => e.type),
    ['recording_finished'],
  );
  assert.equal([...store.rows.values()][0]?.status, 'ended');
});

test('recording service: delete stops a live recording, removes its files and hides it; another customer gets RECORDING_NOT_FOUND', async (t) => {
  const { dir, service } = await setup(t);
  const customerId = newId();
  const started = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: customerId,
    source: new FakeSource(),
  });
  assert.deepEqual((await readdir(dir)).sort(), started.filenames);
  await assert.rejects(service.delete(started.id, { customerId: newId() }), { code: 'RECORDING_NOT_FOUND' });
  const deleted = await service.delete(started.id, { customerId });
  assert.equal(deleted.status, 'ended');
  assert.deepEqual(await readdir(dir), []);
  assert.equal(await service.get(started.id), undefined);
  await assert.rejects(service.delete(started.id, { customerId }), { code: 'RECORDING_NOT_FOUND' });
});

test('recording service: repair fixes the WAV a crash left open (all but the last second) and ends the recording', async (t) => {
  const { dir, store, storage, clock, service } = await setup(t);
  await storage.prepare();
  const rec = transition(
    newRecording({
      id: newId(),
      customer_id: newId(),
      reference_type: 'conference',
      reference_id: newId(),
      layout: 'mix',
      nowMs: clock.now(),
    }),
    'recording',
    clock.now(),
  );
  await store.save(rec, []);
  const writer = await WavWriter.open(join(dir, `${rec.id}.wav`), { clock });
  const second = new Int16Array(8000).fill(1000);
  for (let s = 0; s < 3; s++) {
    writer.write(second);
    clock.advance(1000);
  }
  await writer.drain();
  writer.write(new Int16Array(4000).fill(1000));
  const before = await readFile(join(dir, `${rec.id}.wav`));
  assert.equal(before.readUInt32LE(40), 0, 'the header still has the placeholder sizes');
  const repaired = await service.repair();
  assert.equal(repaired.length, 1);
  const ended = repaired[0];
  assert.equal(ended?.status, 'ended');
  assert.equal(ended?.duration_sec, 3);
  const after = await readFile(join(dir, `${rec.id}.wav`));
  assert.equal(after.readUInt32LE(40), 3 * 16000);
  assert.deepEqual(ended?.files, [
    { filename: `${rec.id}.wav`, bytes: 44 + 3 * 16000, sha256: createHash('sha256').update(after).digest('hex') },
  ]);
  assert.deepEqual(
    store.events.map((e) => e.type),
    ['recording_finished'],
  );
  assert.deepEqual(await service.repair(), [], 'nothing left to repair');
  await writer.close();
});

test('local storage: reads a byte range, refuses names that leave the directory, removing a missing file is fine', async (t) => {
  const { dir, storage } = await setup(t);
  await storage.prepare();
  await writeFile(join(dir, 'a.wav'), '0123456789');
  const chunks: Buffer[] = [];
  for await (const c of storage.read('a.wav', { start: 2, end: 5 })) chunks.push(Buffer.from(c));
  assert.equal(Buffer.concat(chunks).toString(), '2345');
  assert.equal(await storage.describe('missing.wav'), undefined);
  assert.equal(await storage.repair('missing.wav'), undefined);
  await storage.remove('missing.wav');
  assert.throws(() => storage.read('../a.wav'), { code: 'INVALID_FILENAME' });
});

test('recording service: a recording shows the activeflow that started it (the nil UUID when none) in its row and events', async (t) => {
  const { store, service } = await setup(t);
  const activeflowId = newId();
  const fromFlow = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: newId(),
    source: new FakeSource(),
    activeflow_id: activeflowId,
  });
  assert.equal(fromFlow.activeflow_id, activeflowId);
  assert.equal(store.rows.get(fromFlow.id)?.activeflow_id, activeflowId);
  const fromApi = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: newId(),
    source: new FakeSource(),
  });
  assert.equal(fromApi.activeflow_id, '00000000-0000-0000-0000-000000000000');
  const ended = await service.stopRecording(fromFlow.id);
  assert.equal(ended?.activeflow_id, activeflowId, 'kept when it ends');
  assert.deepEqual(
    store.events.filter((e) => e.recording.id === fromFlow.id).map((e) => [e.type, e.recording.activeflow_id]),
    [
      ['recording_started', activeflowId],
      ['recording_finished', activeflowId],
    ],
  );
  await service.stopRecording(fromApi.id);
});
