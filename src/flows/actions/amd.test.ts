import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmdDetector } from '../amd-detector.ts';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

const RATE_HZ = 8000;
const FRAME = 160;

/** Deterministic noise in [-1, 1). */
function noiseSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  };
}

/**
 * Speech-like audio: a 180 Hz voice with harmonics under a 4 Hz syllable envelope (energy dips
 * between syllables, like words), or line noise for silence; cut into 20 ms frames.
 */
function audio(segments: [kind: 'speech' | 'silence', ms: number][]): Int16Array[] {
  const noise = noiseSource(7);
  const samples: number[] = [];
  for (const [kind, ms] of segments) {
    for (let i = 0; i < (ms * RATE_HZ) / 1000; i++) {
      const t = i / RATE_HZ;
      const voice = Math.sin(2 * Math.PI * 180 * t) + 0.5 * Math.sin(2 * Math.PI * 360 * t) + 0.25 * Math.sin(2 * Math.PI * 540 * t);
      const envelope = 0.35 + 0.65 * Math.abs(Math.sin(2 * Math.PI * 2 * t));
      samples.push(kind === 'speech' ? 6000 * envelope * voice + 200 * noise() : 60 * noise());
    }
  }
  const frames: Int16Array[] = [];
  for (let at = 0; at + FRAME <= samples.length; at += FRAME) frames.push(Int16Array.from(samples.slice(at, at + FRAME), (v) => Math.round(v)));
  return frames;
}

function detect(frames: Int16Array[]): string | undefined {
  const detector = new AmdDetector();
  for (const frame of frames) if (detector.push(frame) !== undefined) break;
  return detector.result;
}

describe('amd detector', () => {
  test('long continuous speech is a MACHINE greeting', () => {
    assert.equal(detect(audio([['silence', 300], ['speech', 4000]])), 'MACHINE');
  });

  test('a short utterance followed by silence is a HUMAN', () => {
    assert.equal(detect(audio([['silence', 400], ['speech', 600], ['silence', 2000]])), 'HUMAN');
  });

  test('silence only, or nothing clear within the analysis window, is NOTSURE', () => {
    assert.equal(detect(audio([['silence', 6000]])), 'NOTSURE');
    assert.equal(detect(audio([['speech', 1700], ['silence', 500], ['speech', 1700], ['silence', 500], ['speech', 1000]])), 'NOTSURE');
  });
});

describe('amd action', () => {
  test('sets voipbin.amd.result and hangs up a machine with reason amd', async () => {
    const h = new EngineHarness();
    h.calls.addCall({ id: 'out-1', direction: 'outgoing' });
    h.calls.audio.set('out-1', audio([['speech', 3000]]));
    const af = await h.ended(await h.startCall([act(1, 'amd', { machine_handle: 'hangup' }), act(2, 'variable_set', { key: 'after', value: 'ran' })], { id: 'out-1' }));
    assert.equal(af.variables['voipbin.amd.result'], 'MACHINE');
    assert.ok(h.calls.log.includes('hangup out-1 amd'));
    assert.equal(af.variables['after'], undefined);
  });

  test('a human continues the flow', async () => {
    const h = new EngineHarness();
    h.calls.audio.set('call-1', audio([['speech', 500], ['silence', 1500]]));
    const af = await h.ended(await h.startCall([act(1, 'amd', { machine_handle: 'hangup' }), act(2, 'variable_set', { key: 'after', value: '${voipbin.amd.result}' })]));
    assert.equal(af.variables['after'], 'HUMAN');
    assert.ok(!h.calls.log.some((l) => l.startsWith('hangup')));
  });

  test('audio that stops coming ends NOTSURE after the wait; async moves on at once', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'amd', { async: true }), act(2, 'variable_set', { key: 'next', value: 'ran' }), act(3, 'sleep', { duration: 10_000 })]);
    await waitFor(() => h.store.rows.get(id)?.variables['next'] === 'ran', 'moved on');
    await waitFor(() => h.clock.pending === 2, 'amd wait and sleep timers');
    h.clock.advance(6000);
    await waitFor(() => h.store.rows.get(id) !== undefined && h.calls.ops.some((o) => o.op === 'audio' && o.done));
    h.clock.advance(4000);
    const af = await h.ended(id);
    assert.equal(af.variables['voipbin.amd.result'], 'NOTSURE');
  });
});
