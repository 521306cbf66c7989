// Test support of the AMD tests: synthetic speech and line noise in 20 ms frames.

const RATE_HZ = 8000;
const FRAME = 160;

/** Deterministic noise in [-1, 1). */
export function noiseSource(seed: number): () => number {
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
export function audio(segments: [kind: 'speech' | 'silence', ms: number][]): Int16Array[] {
  const noise = noiseSource(7);
  const samples: number[] = [];
  for (const [kind, ms] of segments) {
    for (let i = 0; i < (ms * RATE_HZ) / 1000; i++) {
      const t = i / RATE_HZ;
      const voice =
        Math.sin(2 * Math.PI * 180 * t) +
        0.5 * Math.sin(2 * Math.PI * 360 * t) +
        0.25 * Math.sin(2 * Math.PI * 540 * t);
      const envelope = 0.35 + 0.65 * Math.abs(Math.sin(2 * Math.PI * 2 * t));
      samples.push(kind === 'speech' ? 6000 * envelope * voice + 200 * noise() : 60 * noise());
    }
  }
  const frames: Int16Array[] = [];
  for (let at = 0; at + FRAME <= samples.length; at += FRAME)
    frames.push(Int16Array.from(samples.slice(at, at + FRAME), (v) => Math.round(v)));
  return frames;
}
