import { type AudioSource, type MediaClock, PortAllocator } from '../../media/index.ts';

/** Share of a signal's energy at `freqHz` (Goertzel power against total power, 0..1). */
export function toneShare(samples: Int16Array, freqHz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / 8000);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return total === 0 ? 0 : (2 * power) / (samples.length * total);
}

/** `pairs` RTP port pairs somewhere in 20000–39999, so test files running side by side rarely collide. */
export function randomAllocator(pairs = 30): PortAllocator {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  return new PortAllocator({ minPort: base, maxPort: base + pairs * 2 - 1 });
}

/** Resolves once `check()` holds; rejects naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Collects what `source` yields on every tick of `clock` until stopped. */
export function capture(clock: MediaClock, source: AudioSource): { samples(): Int16Array; stop(): void } {
  const frames: Int16Array[] = [];
  const frame = new Int16Array(160);
  const stop = clock.addListener(() => {
    if (source.read(frame)) frames.push(frame.slice());
  });
  return {
    samples: () => {
      const out = new Int16Array(frames.length * 160);
      frames.forEach((f, i) => out.set(f, i * 160));
      return out;
    },
    stop,
  };
}
