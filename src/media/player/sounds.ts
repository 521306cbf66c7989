import { TELEPHONY_RATE_HZ } from './resample.ts';

/** Options of {@link tone}. */
export interface ToneOptions {
  /** Peak level as a fraction of full scale (default 0.5, about -6 dBFS). */
  amplitude?: number;
  /** Fade in and out, to avoid clicks at the edges (default 5 ms). */
  fadeMs?: number;
}

/** Number of 8 kHz samples in `ms` milliseconds. */
function samplesFor(ms: number): number {
  return Math.max(0, Math.round((ms * TELEPHONY_RATE_HZ) / 1000));
}

/** `ms` milliseconds of digital silence at 8 kHz. */
export function silence(ms: number): Int16Array {
  return new Int16Array(samplesFor(ms));
}

/** A sum of sine waves (e.g. `[350, 440]` for a dial tone) lasting `ms`, with faded edges. */
export function tone(freqs: readonly number[], ms: number, opts: ToneOptions = {}): Int16Array {
  const out = new Int16Array(samplesFor(ms));
  if (freqs.length === 0) return out;
  const peak = (opts.amplitude ?? 0.5) * 32767;
  const fade = Math.min(samplesFor(opts.fadeMs ?? 5), Math.floor(out.length / 2));
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / TELEPHONY_RATE_HZ);
    const edge = Math.min(1, i / Math.max(1, fade), (out.length - 1 - i) / Math.max(1, fade));
    out[i] = Math.round((v / freqs.length) * peak * edge);
  }
  return out;
}

/** The classic prompt beep: 1 kHz for 250 ms. */
export function beep(freqHz = 1000, durationMs = 250): Int16Array {
  return tone([freqHz], durationMs);
}

/** Frequency of a MIDI note number (A4 = 69 = 440 Hz). */
function midiHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}

/** Melody notes (MIDI) over a I–vi–IV–V progression in C major, one chord per bar of four. */
const MELODY: readonly number[] = [72, 76, 79, 76, 69, 72, 76, 72, 65, 69, 72, 69, 67, 71, 74, 71];
const BASS: readonly number[] = [48, 45, 41, 43];
const NOTE_MS = 400;

/** Adds one plucked note (fast attack, exponential decay, soft second harmonic) into `out`. */
function addNote(out: Float32Array, startSample: number, lengthSamples: number, hz: number, level: number): void {
  const attack = samplesFor(15);
  for (let i = 0; i < lengthSamples && startSample + i < out.length; i++) {
    const t = i / TELEPHONY_RATE_HZ;
    const env =
      Math.min(1, i / attack) * Math.exp(-3 * (i / lengthSamples)) * Math.min(1, (lengthSamples - i) / attack);
    const wave = Math.sin(2 * Math.PI * hz * t) + 0.25 * Math.sin(4 * Math.PI * hz * t);
    out[startSample + i] = (out[startSample + i] as number) + level * env * wave;
  }
}

let holdMusicCache: Int16Array | undefined;

/**
 * A gentle 6.4-second melody of enveloped sine tones that starts and ends at silence, so it loops
 * without a click. Generated once and shared: treat it as read-only.
 */
export function holdMusic(): Int16Array {
  if (holdMusicCache) return holdMusicCache;
  const noteSamples = samplesFor(NOTE_MS);
  const mix = new Float32Array(noteSamples * MELODY.length);
  MELODY.forEach((note, i) => addNote(mix, i * noteSamples, noteSamples, midiHz(note), 0.22));
  BASS.forEach((note, bar) => addNote(mix, bar * 4 * noteSamples, 4 * noteSamples, midiHz(note), 0.15));
  const out = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i++) out[i] = Math.round(Math.max(-1, Math.min(1, mix[i] as number)) * 32767);
  holdMusicCache = out;
  return out;
}
