import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AudioSink } from '../../media/index.ts';
import { repairWav } from '../../media/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  type Recording,
  type RecordingEvent,
} from '../../recordings/index.ts';
import { FakeClock, newId } from '../../shared/index.ts';
import { MixRecordingSource } from './recording-adapter.ts';

test('conference recording: a MixRecordingSource writes the mix frames to <id>.wav until stopped, then detaches', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-mixrec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rows = new Map<string, Recording>();
  const events: RecordingEvent[] = [];
  const store = {
    save: async (r: Recording, e: readonly RecordingEvent[]) => void (rows.set(r.id, r), events.push(...e)),
    get: async (id: string) => rows.get(id),
    listUnfinished: async () => [],
    delete: async () => undefined,
  };
  const clock = new FakeClock();
  const service = new RecordingService({ store, storage: new LocalRecordingStorage({ dir, repairWav }), clock });
  let sink: AudioSink | undefined;
  let detached = 0;
  const source = new MixRecordingSource(
    (s) => {
      sink = s;
      return () => void (detached += 1);
    },
    { clock },
  );
  const conferenceId = newId();
  const started = await service.startRecording({
    reference_type: 'conference',
    reference_id: conferenceId,
    customer_id: newId(),
    source,
  });
  assert.deepEqual(started.filenames, [`${started.id}.wav`]);
  const frame = new Int16Array(160).fill(1234);
  for (let i = 0; i < 100; i++) sink?.write(frame);
  const ended = await service.stopRecording(started.id);
  assert.equal(detached, 1);
  sink?.write(frame);
  assert.equal(ended?.duration_sec, 2);
  assert.equal(ended?.reference_type, 'conference');
  assert.equal(ended?.reference_id, conferenceId);
  const wav = await readFile(join(dir, `${started.id}.wav`));
  assert.equal(wav.length, 44 + 2 * 8000 * 2);
  assert.equal(wav.readUInt32LE(40), 2 * 8000 * 2);
  assert.equal(wav.readInt16LE(44), 1234);
  assert.deepEqual(
    ended?.files.map((f) => f.bytes),
    [wav.length],
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ['recording_started', 'recording_finished'],
  );
});
