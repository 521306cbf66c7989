import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioSource } from '../media/index.ts';
import { LegOutput } from './leg-output.ts';

/** A source of constant `value` for `frames` frames, counting its reads. */
function constant(value: number, frames = Infinity): AudioSource & { reads: number } {
  let left = frames;
  const source = {
    reads: 0,
    read: (frame: Int16Array): boolean => {
      if (left <= 0) return false;
      left -= 1;
      source.reads += 1;
      frame.fill(value);
      return true;
    },
  };
  return source;
}

function readOne(output: LegOutput): Int16Array {
  const frame = new Int16Array(160);
  assert.equal(output.read(frame), true, 'a leg output never ends');
  return frame;
}

const first = (output: LegOutput): number => readOne(output)[0] ?? NaN;

describe('LegOutput overlay: audio mixed over what the leg hears', () => {
  it('mixes over silence, the bridged peer, hold music and a prompt', async () => {
    const output = new LegOutput();
    const overlay = constant(100);
    output.overlay = overlay;
    assert.equal(first(output), 100, 'over silence');
    output.peer = constant(7);
    assert.equal(first(output), 107, 'over the bridged peer');
    output.musicOnHold = constant(20);
    assert.equal(first(output), 120, 'over hold music');
    output.musicOnHold = undefined;
    const prompt = output.play(constant(-300, 1));
    assert.equal(first(output), -200, 'over a prompt');
    assert.equal(first(output), 107, 'back to the peer once the prompt ran out');
    assert.equal(await prompt, 'ended');
    output.overlay = undefined;
    assert.equal(first(output), 7, 'without the overlay');
    assert.equal(overlay.reads, 5);
  });

  it('adds with saturation at the int16 bounds, sample by sample', () => {
    const output = new LegOutput();
    const wave: AudioSource = {
      read: (frame) => {
        for (let i = 0; i < frame.length; i++) frame[i] = i % 2 === 0 ? 30000 : -30000;
        return true;
      },
    };
    output.peer = wave;
    output.overlay = constant(10000);
    const frame = readOne(output);
    assert.deepEqual([frame[0], frame[1], frame[2], frame[159]], [32767, -20000, 32767, -20000]);
    output.overlay = constant(-10000);
    const low = readOne(output);
    assert.deepEqual([low[0], low[1]], [20000, -32768]);
  });

  it('is not heard while silence is on or the leg is held, but keeps being read (it keeps time)', () => {
    const output = new LegOutput();
    const overlay = constant(500);
    output.overlay = overlay;
    output.peer = constant(3);
    output.silence = true;
    assert.equal(first(output), 0, 'silence');
    output.silence = false;
    output.held = true;
    assert.equal(first(output), 0, 'held: neither the peer nor the overlay');
    output.musicOnHold = constant(40);
    assert.equal(first(output), 40, 'held with music: the music alone');
    output.held = false;
    output.musicOnHold = undefined;
    assert.equal(first(output), 503);
    assert.equal(overlay.reads, 4, 'read on every frame');
  });

  it('hearsPeer is false while an overlay is set; onChange fires on set and unset only', () => {
    const output = new LegOutput();
    let changes = 0;
    output.onChange(() => changes++);
    output.peer = constant(1);
    assert.equal(output.hearsPeer, true);
    changes = 0;
    const overlay = constant(2);
    output.overlay = overlay;
    assert.equal(output.hearsPeer, false);
    assert.equal(changes, 1);
    output.overlay = overlay;
    assert.equal(changes, 1, 'the same source again is no change');
    output.overlay = undefined;
    assert.equal(output.hearsPeer, true);
    assert.equal(changes, 2);
  });

  it('an overlay that ends is removed (and the leg may hear its peer alone again)', () => {
    const output = new LegOutput();
    let changes = 0;
    output.onChange(() => changes++);
    output.peer = constant(1);
    output.overlay = constant(9, 2);
    changes = 0;
    assert.equal(first(output), 10);
    assert.equal(first(output), 10);
    assert.equal(output.overlay !== undefined, true);
    assert.equal(first(output), 1, 'the frame it ended in is the peer alone');
    assert.equal(output.overlay, undefined);
    assert.equal(output.hearsPeer, true);
    assert.equal(changes, 1);
  });
});
