/**
 * Conference mixing benchmark: µs per participant per 20 ms tick for N = 3, 10, 50 — decode µ-law
 * through lookup tables, N−1 mix, encode through lookup tables — against a naive baseline in the
 * same run (per-sample companding formulas, fresh arrays every tick).
 * Run: node --import tsx bench/mixer.ts
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Mixer, decodeMulaw, encodeMulaw, type AudioSink, type AudioSource } from '../src/media/index.ts';

/** Figures for one participant count. */
export interface MixerStep {
  participants: number;
  usPerParticipantTick: number;
  naiveUsPerParticipantTick: number;
  speedup: number;
}

function tonePayloads(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, p) => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(4000 * Math.sin((2 * Math.PI * (300 + p * 37) * i) / 8000));
    const out = new Uint8Array(160);
    encodeMulaw(pcm, out);
    return out;
  });
}

function timeUs(ticks: number, tick: () => void): number {
  for (let i = 0; i < Math.min(50, ticks); i++) tick();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ticks; i++) tick();
  return Number(process.hrtime.bigint() - start) / 1000;
}

function measureTables(payloads: Uint8Array[], ticks: number): number {
  const mixer = new Mixer();
  const encoded = new Uint8Array(160);
  payloads.forEach((payload, id) => {
    const source: AudioSource = { read: (frame) => (decodeMulaw(payload, frame), true) };
    const sink: AudioSink = { write: (frame) => encodeMulaw(frame, encoded) };
    mixer.join({ id: String(id), source, sink });
  });
  const us = timeUs(ticks, () => mixer.tick());
  mixer.close();
  return us / (ticks * payloads.length);
}

function naiveDecode(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function naiveEncode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(Math.abs(sample) + 0x84, 32635);
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  return ~(sign | (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0f)) & 0xff;
}

function measureNaive(payloads: Uint8Array[], ticks: number): number {
  let sink = 0;
  const us = timeUs(ticks, () => {
    const inputs = payloads.map((p) => Array.from(p, naiveDecode));
    const total = new Array<number>(160).fill(0);
    for (const input of inputs) for (let s = 0; s < 160; s++) total[s]! += input[s]!;
    for (const input of inputs) {
      const out = total.map((t, s) => naiveEncode(Math.max(-32768, Math.min(32767, t - input[s]!))));
      sink ^= out[0]!;
    }
  });
  if (sink === -1) console.log(sink);
  return us / (ticks * payloads.length);
}

/** Runs the benchmark; small `ticks` make it a smoke test. */
export function runMixerBench(options: { sizes?: number[]; ticks?: number } = {}): {
  parallelism: number;
  steps: MixerStep[];
} {
  const steps = (options.sizes ?? [3, 10, 50]).map((participants) => {
    const payloads = tonePayloads(participants);
    const ticks = options.ticks ?? 5000;
    const tables = measureTables(payloads, ticks);
    const naive = measureNaive(payloads, ticks);
    return { participants, usPerParticipantTick: tables, naiveUsPerParticipantTick: naive, speedup: naive / tables };
  });
  return { parallelism: os.availableParallelism(), steps };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = runMixerBench();
  console.log(`availableParallelism=${r.parallelism}`);
  for (const s of r.steps) {
    console.log(
      `N=${s.participants} tables_us_per_participant_tick=${s.usPerParticipantTick.toFixed(3)} naive_us=${s.naiveUsPerParticipantTick.toFixed(3)} speedup=${s.speedup.toFixed(1)}x`,
    );
  }
}
