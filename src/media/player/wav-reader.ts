import { AppError } from '../../shared/index.ts';
import { TELEPHONY_RATE_HZ, resample } from './resample.ts';

/** Decoded RIFF/WAVE PCM, already mixed down to mono. */
export interface WavAudio {
  sampleRate: number;
  /** Channels in the file (the samples are their average). */
  channels: number;
  bitsPerSample: number;
  samples: Int16Array;
}

interface WavFormat {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** The error for bytes that look like WAV but cannot be read. */
function broken(message: string): AppError {
  return new AppError('MEDIA_DECODE_FAILED', `cannot decode WAV: ${message}`);
}

/** Reads the four-character code at `offset`. */
function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

/**
 *   0 "RIFF" | 4 size | 8 "WAVE" | 12 chunks: id(4) size(4) body (padded to even length)
 *   fmt body: tag(2) channels(2) rate(4) byteRate(4) blockAlign(2) bits(2) [cbSize(2) valid(2) mask(4) guid(16)]
 */
function readFormat(bytes: Uint8Array): WavFormat | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourCc(view, 0) !== 'RIFF' || fourCc(view, 8) !== 'WAVE') return undefined;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes'> | undefined;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = fourCc(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= bytes.length) {
      let formatTag = view.getUint16(body, true);
      if (formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 26 && body + 26 <= bytes.length)
        formatTag = view.getUint16(body + 24, true);
      fmt = {
        formatTag,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data' && fmt) {
      // Streaming writers (espeak-ng --stdout) put a huge placeholder size: trust the bytes present.
      return { ...fmt, dataOffset: body, dataBytes: Math.min(size, bytes.length - body) };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

/** True when the sample format is one {@link parseWav} decodes itself. */
function isSupported(f: WavFormat): boolean {
  if (f.formatTag === WAVE_FORMAT_PCM) return [8, 16, 24, 32].includes(f.bitsPerSample);
  return f.formatTag === WAVE_FORMAT_IEEE_FLOAT && f.bitsPerSample === 32;
}

/** True for a RIFF/WAVE file with integer or float PCM samples (anything else goes to ffmpeg). */
export function isPlainPcmWav(bytes: Uint8Array): boolean {
  const f = readFormat(bytes);
  return f !== undefined && isSupported(f);
}

/** Reads one sample as a float in [-1, 1). */
function sampleAt(view: DataView, offset: number, f: WavFormat): number {
  switch (f.bitsPerSample) {
    case 8:
      return (view.getUint8(offset) - 128) / 128;
    case 16:
      return view.getInt16(offset, true) / 32768;
    case 24:
      return ((view.getInt8(offset + 2) << 16) | (view.getUint8(offset + 1) << 8) | view.getUint8(offset)) / 8388608;
    default:
      return f.formatTag === WAVE_FORMAT_IEEE_FLOAT
        ? view.getFloat32(offset, true)
        : view.getInt32(offset, true) / 2147483648;
  }
}

/** Parses RIFF/WAVE PCM (8/16/24/32-bit integer, 32-bit float, any rate and channel count) and averages the channels. */
export function parseWav(bytes: Uint8Array): WavAudio {
  const f = readFormat(bytes);
  if (!f) throw broken('not a RIFF/WAVE file with fmt and data chunks');
  if (!isSupported(f)) throw broken(`unsupported format tag ${f.formatTag} with ${f.bitsPerSample} bits`);
  if (f.channels < 1 || f.sampleRate < 1 || f.blockAlign < f.channels * (f.bitsPerSample / 8))
    throw broken('inconsistent fmt chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(f.dataBytes / f.blockAlign);
  const bytesPerSample = f.bitsPerSample / 8;
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    const frameOffset = f.dataOffset + i * f.blockAlign;
    for (let c = 0; c < f.channels; c++) sum += sampleAt(view, frameOffset + c * bytesPerSample, f);
    const v = Math.round((sum / f.channels) * 32768);
    samples[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bitsPerSample, samples };
}

/** Decodes a PCM WAV to 8 kHz mono 16-bit samples. */
export function decodeWavTo8k(bytes: Uint8Array): Int16Array {
  const wav = parseWav(bytes);
  return resample(wav.samples, wav.sampleRate, TELEPHONY_RATE_HZ);
}
