import { open, type FileHandle } from 'node:fs/promises';
import { InvalidStateError, SerialQueue, systemClock, type Clock, type TimerHandle } from '../../shared/index.ts';
import { WAV_HEADER_BYTES, WAV_SAMPLE_RATE, uint32le, wavHeader } from './wav-format.ts';

/** Options of WavWriter.open. */
export interface WavWriterOptions {
  /** 1 (mono) or 2 (stereo, interleaved); default 1. */
  channels?: 1 | 2;
  clock?: Clock;
  /** Longest time PCM stays in memory; default 1000 ms (a crash loses at most this much). */
  flushIntervalMs?: number;
}

/**
 * A streaming 8 kHz 16-bit WAV writer: the header goes out at open with zero sizes, PCM is
 * appended in chunks of at most one second (and at least every flush interval), and the RIFF and
 * data sizes are patched on close. A file left by a crash is fixed by `repairWav`.
 */
export class WavWriter {
  readonly path: string;
  readonly channels: 1 | 2;
  readonly #file: FileHandle;
  readonly #clock: Clock;
  readonly #flushIntervalMs: number;
  readonly #queue = new SerialQueue();
  readonly #pending: Uint8Array;
  #pendingBytes = 0;
  #dataBytes = 0;
  #timer: TimerHandle | undefined;
  #closing: Promise<number> | undefined;

  private constructor(path: string, file: FileHandle, options: WavWriterOptions) {
    this.path = path;
    this.#file = file;
    this.channels = options.channels ?? 1;
    this.#clock = options.clock ?? systemClock;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#pending = new Uint8Array(WAV_SAMPLE_RATE * 2 * this.channels);
    this.#schedule();
  }

  /** Creates (or truncates) `path` and writes the header. */
  static async open(path: string, options: WavWriterOptions = {}): Promise<WavWriter> {
    const file = await open(path, 'w', 0o600); // recordings are private (docs/security.md)
    try {
      await file.write(wavHeader(options.channels ?? 1, 0), 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      await file.close();
      throw err;
    }
    return new WavWriter(path, file, options);
  }

  /** Sample frames accepted so far (one frame = one sample per channel). */
  get frames(): number {
    return (this.#dataBytes + this.#pendingBytes) / (2 * this.channels);
  }

  /** Seconds of audio accepted so far. */
  get durationSec(): number {
    return this.frames / WAV_SAMPLE_RATE;
  }

  /** Appends interleaved samples (mono: plain samples). */
  write(samples: Int16Array): void {
    if (this.#closing) throw new InvalidStateError(`wav writer ${this.path} is closed`, 'RECORDER_CLOSED');
    const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.#pending.length - this.#pendingBytes);
      this.#pending.set(bytes.subarray(at, at + n), this.#pendingBytes);
      this.#pendingBytes += n;
      at += n;
      if (this.#pendingBytes === this.#pending.length) this.#flush();
    }
  }

  /** Resolves when everything written so far is on disk (not the header sizes). */
  async drain(): Promise<void> {
    this.#flush();
    await this.#queue.run(() => undefined);
  }

  /** Flushes, patches the sizes and closes the file; returns the file's byte size. Idempotent. */
  close(): Promise<number> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  async #finish(): Promise<number> {
    this.#clock.clearTimeout(this.#timer);
    this.#flush();
    return this.#queue.run(async () => {
      try {
        await this.#file.write(uint32le(WAV_HEADER_BYTES - 8 + this.#dataBytes), 0, 4, 4);
        await this.#file.write(uint32le(this.#dataBytes), 0, 4, 40);
      } finally {
        await this.#file.close();
      }
      return WAV_HEADER_BYTES + this.#dataBytes;
    });
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#flush();
      this.#schedule();
    }, this.#flushIntervalMs);
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const chunk = this.#pending.slice(0, this.#pendingBytes);
    const position = WAV_HEADER_BYTES + this.#dataBytes;
    this.#dataBytes += this.#pendingBytes;
    this.#pendingBytes = 0;
    void this.#queue.run(() => this.#file.write(chunk, 0, chunk.length, position));
  }
}
