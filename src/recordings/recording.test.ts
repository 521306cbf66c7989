import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NIL_UUID, newId } from '../shared/index.ts';
import { RECORDING_STATUSES, RECORDING_STATUS_TRANSITIONS, canTransition, newRecording, transition } from './index.ts';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0, 0);

test('recording status machine: only initiating -> recording -> stopping -> ended (and the failure/crash shortcuts to ended)', () => {
  const allowed = RECORDING_STATUSES.flatMap((from) =>
    RECORDING_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
  );
  assert.deepEqual(allowed, [
    'initiating->recording',
    'initiating->ended',
    'recording->stopping',
    'recording->ended',
    'stopping->ended',
  ]);
  assert.deepEqual(RECORDING_STATUS_TRANSITIONS.ended, []);
});

test('recording: a new call recording is initiating with split file names and a nil on_end_flow_id', () => {
  const id = newId();
  const rec = newRecording({
    id,
    customer_id: newId(),
    reference_type: 'call',
    reference_id: newId(),
    layout: 'split',
    nowMs: T0,
  });
  assert.equal(rec.status, 'initiating');
  assert.deepEqual(rec.filenames, [`${id}_in.wav`, `${id}_out.wav`]);
  assert.deepEqual(rec.files, []);
  assert.equal(rec.on_end_flow_id, NIL_UUID);
  assert.equal(rec.tm_create, '2026-11-25T10:00:00.000Z');
  assert.equal(
    'tm_start' in rec || 'tm_end' in rec || 'duration_sec' in rec,
    false,
    'moments not yet happened are absent',
  );
  const mix = newRecording({
    id,
    customer_id: newId(),
    reference_type: 'conference',
    reference_id: newId(),
    layout: 'mix',
    nowMs: T0,
    on_end_flow_id: id,
  });
  assert.deepEqual(mix.filenames, [`${id}.wav`]);
  assert.equal(mix.on_end_flow_id, id);
});

test('recording transition: stamps tm_start on recording, tm_end + duration + files on ended; a refused edge names itself', () => {
  const rec = newRecording({
    id: newId(),
    customer_id: newId(),
    reference_type: 'call',
    reference_id: newId(),
    layout: 'split',
    nowMs: T0,
  });
  const started = transition(rec, 'recording', T0 + 100);
  assert.equal(started.tm_start, '2026-11-25T10:00:00.100Z');
  const stopping = transition(started, 'stopping', T0 + 2000);
  const files = [{ filename: rec.filenames[0] ?? '', bytes: 44, sha256: 'ab' }];
  const ended = transition(stopping, 'ended', T0 + 2100, { durationSec: 1.23456, files });
  assert.equal(ended.status, 'ended');
  assert.equal(ended.tm_end, '2026-11-25T10:00:02.100Z');
  assert.equal(ended.duration_sec, 1.235);
  assert.deepEqual(ended.files, files);
  assert.throws(
    () => transition(ended, 'recording', T0),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RECORDING_STATE_INVALID');
      assert.match(err.message, /ended -> recording refused/);
      return true;
    },
  );
  assert.throws(() => transition(rec, 'stopping', T0), { code: 'RECORDING_STATE_INVALID' });
});
