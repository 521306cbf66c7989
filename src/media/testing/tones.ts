/**
 * Power of the `hz` component of `samples` at `rate` (Goertzel), normalised by the length squared:
 * comparable between windows of different lengths; `2 * sqrt(power)` is about the tone's amplitude.
 */
export function goertzelPower(samples: ArrayLike<number>, hz: number, rate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n);
}

/** A sine tone of `hz`, `ms` long at `rate`, amplitude 8000 unless given. */
export function sineTone(hz: number, ms: number, rate = 8000, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: Math.round((ms * rate) / 1000) }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}
