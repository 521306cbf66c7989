import { AppError } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { TELEPHONY_RATE_HZ } from './resample.ts';
import { runProcess } from './run-process.ts';
import type { ProcessErrorCodes, SpawnFn } from './run-process.ts';

/** Options of {@link decodeWithFfmpeg}. */
export interface FfmpegDecodeOptions {
  /** Executable name or path (default `ffmpeg`). */
  ffmpegPath?: string;
  /** Time limit of one decode (default 30 s). */
  timeoutMs?: number;
  /** Longest decoded audio accepted (default 1 hour). */
  maxDurationSec?: number;
  spawn?: SpawnFn;
  clock?: Clock;
  signal?: AbortSignal;
}

const CODES: ProcessErrorCodes = {
  failed: 'MEDIA_DECODE_FAILED',
  timeout: 'MEDIA_TIMEOUT',
  tooLarge: 'MEDIA_TOO_LARGE',
  aborted: 'MEDIA_ABORTED',
};

/** Copies little-endian s16 bytes into a fresh (aligned) sample array. */
export function s16leToSamples(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(Math.floor(bytes.length / 2));
  const view = new DataView(bytes.buffer, bytes.byteOffset, samples.length * 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/**
 * Decodes any container/codec ffmpeg knows (mp3, ogg, µ-law WAV…) to 8 kHz mono s16 by piping
 * the bytes through the `ffmpeg` CLI. Failures are `AppError` `MEDIA_DECODE_FAILED`.
 */
export async function decodeWithFfmpeg(bytes: Uint8Array, opts: FfmpegDecodeOptions = {}): Promise<Int16Array> {
  const maxDurationSec = opts.maxDurationSec ?? 3600;
  const out = await runProcess({
    command: opts.ffmpegPath ?? 'ffmpeg',
    args: [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      'pipe:0',
      '-vn',
      '-ar',
      String(TELEPHONY_RATE_HZ),
      '-ac',
      '1',
      '-f',
      's16le',
      'pipe:1',
    ],
    stdin: bytes,
    timeoutMs: opts.timeoutMs ?? 30_000,
    maxOutputBytes: maxDurationSec * TELEPHONY_RATE_HZ * 2,
    codes: CODES,
    ...(opts.spawn ? { spawn: opts.spawn } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (out.stdout.length < 2)
    throw new AppError(
      'MEDIA_DECODE_FAILED',
      `ffmpeg produced no audio${out.stderr ? `: ${out.stderr.trim().slice(0, 200)}` : ''}`,
    );
  return s16leToSamples(out.stdout);
}
