import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  MediaClock,
  PortAllocator,
  decodeMulaw,
  encodeMulaw,
  parseWav,
  repairWav,
  serializeRtpPacket,
  type AudioSink,
} from '../../media/index.ts';
import { openTestPeer, waitFor } from '../../media/testing/test-peer.ts';
import { sineTone } from '../../media/testing/tones.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';
import { createOffer, formatSdp } from '../../sdp/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  type Recording,
  type RecordingEvent,
} from '../../recordings/index.ts';
import { FakeClock, newId } from '../../shared/index.ts';
import { LegRecordingSource, MixRecordingSource } from './recording-adapter.ts';

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

test('call recording: packets that come 120 ms late in a burst land at their places in _in; a lost one is silence', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-legrec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const mediaClock = new MediaClock({ clock });
  const base = 30000 + 2 * Math.floor(Math.random() * 4900);
  const allocator = new PortAllocator({ minPort: base, maxPort: base + 15 });
  const phone = await openTestPeer();
  const offerSdp = formatSdp(
    createOffer({ address: '127.0.0.1', port: phone.port, codecs: ['PCMU'], sessionId: '77', sessionVersion: 0 }),
  );
  const { endpoint } = await MediaEndpoint.answer({ allocator, address: '127.0.0.1', mediaClock, clock, offerSdp });
  t.after(async () => {
    await endpoint.close();
    mediaClock.close();
    phone.close();
  });
  const capture = await new LegRecordingSource(endpoint, { format: 'wav' }).start(join(dir, 'leg'), () => undefined);

  // Frame k of a known signal, sent as µ-law; the recording must hold its decoding at frame k.
  const speech = sineTone(440, 60 * 20);
  const payloads: Uint8Array[] = [];
  const want = new Int16Array(speech.length);
  for (let k = 0; k < 60; k++) {
    const payload = new Uint8Array(160);
    encodeMulaw(speech.subarray(k * 160, (k + 1) * 160), payload);
    payloads.push(payload);
    if (k !== 30) decodeMulaw(payload, want.subarray(k * 160, (k + 1) * 160));
  }
  let received = 0;
  const send = async (k: number): Promise<void> => {
    const packet = serializeRtpPacket({
      payloadType: 0,
      sequenceNumber: 1000 + k,
      timestamp: 50_000 + k * 160,
      ssrc: 9,
      payload: payloads[k] as Uint8Array,
    });
    phone.socket.send(packet, endpoint.localPort, '127.0.0.1');
    received++;
    await waitFor(() => endpoint.stats().packets_received >= received);
  };
  for (let k = 0; k < 10; k++) {
    await send(k);
    clock.advance(20);
  }
  // A stall: six ticks pass with nothing, then the six packets come at once.
  clock.advance(120);
  for (let k = 10; k < 16; k++) await send(k);
  for (let k = 16; k < 60; k++) {
    if (k !== 30) await send(k); // 30 is lost
    clock.advance(20);
  }
  const result = await capture.stop();
  assert.equal(result.durationSec, 60 * 0.02);
  const got = parseWav(await readFile(join(dir, 'leg_in.wav'))).samples;
  let diff = -1;
  for (let i = 0; i < want.length && diff < 0; i++) if (got[i] !== want[i]) diff = i;
  assert.equal(diff, -1, `_in differs first at frame ${Math.floor(diff / 160)}`);
  assert.equal(got.length, want.length);
  assert.equal(parseWav(await readFile(join(dir, 'leg_out.wav'))).samples.length, want.length);
});
