import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PcmSource, beep, holdMusic, silence, tone } from './index.ts';

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Zero crossings per second of an 8 kHz signal: twice its frequency for a pure tone. */
function crossingsPerSec(samples: Int16Array): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1] as number) < 0 !== (samples[i] as number) < 0) n++;
  return (n * 8000) / samples.length;
}

describe('built-in sounds', () => {
  it('beep is 250 ms of 1 kHz at a clear level', () => {
    const b = beep();
    assert.equal(b.length, 2000);
    assert.ok(rms(b) > 8000);
    assert.ok(Math.abs(crossingsPerSec(b) - 2000) < 50);
  });

  it('silence(ms) is all zeros of the right length', () => {
    const s = silence(120);
    assert.equal(s.length, 960);
    assert.ok(s.every((v) => v === 0));
  });

  it('tone mixes frequencies without clipping and fades its edges', () => {
    const t = tone([350, 440], 1000);
    assert.equal(t.length, 8000);
    assert.equal(t[0], 0);
    assert.ok(Math.abs(t[t.length - 1] as number) < 200);
    assert.ok(t.every((v) => Math.abs(v) <= 16384));
    assert.ok(rms(t) > 3000);
  });

  it('hold music is a few seconds of sound that starts and ends near silence (loopable)', () => {
    const m = holdMusic();
    assert.ok(m.length >= 3 * 8000 && m.length <= 15 * 8000);
    assert.ok(rms(m) > 1500);
    assert.ok(Math.abs(m[0] as number) < 100 && Math.abs(m[m.length - 1] as number) < 300);
    assert.ok(
      m.some((v) => v > 8000),
      'has audible peaks',
    );
  });
});

describe('PcmSource', () => {
  it('delivers 160-sample frames, pads the last one with silence, then ends', () => {
    const pcm = Int16Array.from({ length: 400 }, (_, i) => i + 1);
    const src = new PcmSource(pcm);
    const frame = new Int16Array(160);
    assert.equal(src.read(frame), true);
    assert.equal(frame[0], 1);
    assert.equal(src.read(frame), true);
    assert.equal(frame[0], 161);
    assert.equal(src.read(frame), true);
    assert.equal(frame[79], 400);
    assert.equal(frame[80], 0);
    assert.equal(src.read(frame), false);
    assert.equal(src.done, true);
  });

  it('loops back to the start when asked', () => {
    const pcm = Int16Array.from({ length: 200 }, (_, i) => i + 1);
    const src = new PcmSource(pcm, { loop: true });
    const frame = new Int16Array(160);
    src.read(frame);
    assert.equal(src.read(frame), true);
    assert.equal(frame[39], 200);
    assert.equal(frame[40], 1);
    for (let i = 0; i < 50; i++) assert.equal(src.read(frame), true);
  });

  it('returns false at once for an empty buffer, even when looping', () => {
    assert.equal(new PcmSource(new Int16Array(0), { loop: true }).read(new Int16Array(160)), false);
  });
});
