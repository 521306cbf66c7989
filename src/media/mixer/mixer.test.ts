import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mixer } from './mixer.ts';
import type { AudioSink, AudioSource } from '../leg/index.ts';
import { goertzelPower } from '../testing/tones.ts';

class ToneSource implements AudioSource {
  #n = 0;
  constructor(readonly frequencyHz: number) {}
  read(frame: Int16Array): boolean {
    for (let i = 0; i < frame.length; i++, this.#n++)
      frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * this.frequencyHz * this.#n) / 8000));
    return true;
  }
}

class CollectSink implements AudioSink {
  readonly samples: number[] = [];
  write(frame: Int16Array): void {
    this.samples.push(...frame);
  }
}

const FREQS = { a: 400, b: 700, c: 1100 } as const;
type Name = keyof typeof FREQS;

function present(samples: number[], hz: number): boolean {
  return goertzelPower(samples, hz) > 1e5;
}

function setup(): { mixer: Mixer; sinks: Record<Name, CollectSink>; mix: CollectSink } {
  const mixer = new Mixer();
  const sinks = { a: new CollectSink(), b: new CollectSink(), c: new CollectSink() };
  for (const id of ['a', 'b', 'c'] as const) mixer.join({ id, source: new ToneSource(FREQS[id]), sink: sinks[id] });
  const mix = new CollectSink();
  mixer.setRecordingSink(mix);
  return { mixer, sinks, mix };
}

test('mixer: each of three participants hears the other two tones and not its own; the recording has all three', () => {
  const { mixer, sinks, mix } = setup();
  for (let t = 0; t < 25; t++) mixer.tick();
  for (const me of ['a', 'b', 'c'] as const) {
    for (const other of ['a', 'b', 'c'] as const) {
      assert.equal(
        present(sinks[me].samples, FREQS[other]),
        other !== me,
        `${me} hears ${other}: ${goertzelPower(sinks[me].samples, FREQS[other])}`,
      );
    }
  }
  for (const hz of Object.values(FREQS)) assert.ok(present(mix.samples, hz), `mix has ${hz} Hz`);
  assert.equal(mix.samples.length, 25 * 160);
  mixer.close();
});

test('mixer: muting out removes a tone from everyone; muting in silences what one hears', () => {
  const { mixer, sinks, mix } = setup();
  mixer.setMuted('a', 'out', true);
  mixer.setMuted('c', 'in', true);
  for (let t = 0; t < 25; t++) mixer.tick();
  assert.equal(present(sinks.b.samples, FREQS.a), false);
  assert.equal(present(sinks.b.samples, FREQS.c), true);
  assert.equal(present(sinks.a.samples, FREQS.b), true);
  assert.equal(present(mix.samples, FREQS.a), false);
  assert.ok(
    sinks.c.samples.every((s) => s === 0),
    'c hears nothing',
  );
  assert.throws(() => mixer.setMuted('zz', 'in', true), { code: 'UNKNOWN_PARTICIPANT' });
  assert.throws(() => mixer.join({ id: 'a', source: new ToneSource(1), sink: new CollectSink() }), {
    code: 'DUPLICATE_PARTICIPANT',
  });
  mixer.close();
});

test('mixer: sums saturate at Int16 and participants can leave between ticks', () => {
  const mixer = new Mixer();
  const loud: AudioSource = { read: (f) => (f.fill(30000), true) };
  const sink = new CollectSink();
  mixer.join({ id: 'x', source: loud, sink: new CollectSink() });
  mixer.join({ id: 'y', source: loud, sink: new CollectSink() });
  mixer.join({ id: 'listener', source: { read: (f) => (f.fill(0), true) }, sink });
  mixer.tick();
  assert.equal(sink.samples[0], 32767);
  mixer.leave('x');
  mixer.tick();
  assert.equal(sink.samples[160], 30000);
  assert.equal(mixer.size, 2);
  mixer.close();
  assert.throws(() => mixer.setRecordingSink(undefined), { code: 'MIXER_CLOSED' });
});
