import type { AudioSource } from '../leg/index.ts';
import { SAMPLES_PER_MS } from './stream-audio.ts';

/** Samples of one storage block (200 ms): pushes fill the last block before a new one is allocated. */
const BLOCK_SAMPLES = 1600;
/** Reads of one latency window (1 s of 20 ms frames). */
const WINDOW_READS = 50;
/** Samples of one 20 ms frame. */
const FRAME = 160;
/** Reads a due trim waits for a quiet frame before it drops the next frame anyway. */
const QUIET_SEARCH_READS = 25;
/** Peak below which a frame counts as quiet (about −30 dBFS). */
const QUIET_PEAK = 1000;

/** Options of a {@link PlayoutQueue}. */
export interface PlayoutQueueOptions {
  /** Called from `read` (or never, for marks dropped by `clear`) once a mark's audio has been played. */
  onMark: (name: string) => void;
  /** Most audio the queue holds ahead of playback, in milliseconds (default 120 000). */
  maxQueuedMs?: number;
  /** Most marks waiting at once (default 1 000). */
  maxMarks?: number;
}

interface PendingMark {
  name: string;
  /** The mark fires once this many samples (counted from the queue's start) have been read. */
  at: number;
}

/**
 * The audio a media stream's bot sent, waiting to be played: an {@link AudioSource} of 8 kHz PCM that
 * never ends (silence when empty). Audio is kept in fixed blocks, so many small pushes cost neither
 * many objects nor copies of what is already queued. A mark stands after the audio queued when it was
 * added and is reported through `onMark` by the `read` that plays the last of that audio (a mark added
 * with nothing queued fires on the next read).
 */
export class PlayoutQueue implements AudioSource {
  readonly #onMark: (name: string) => void;
  readonly #maxSamples: number;
  readonly #maxMarks: number;
  readonly #blocks: Int16Array[] = [];
  /** Read position in the first block. */
  #readOffset = 0;
  /** Samples written into the last block. */
  #writeOffset = BLOCK_SAMPLES;
  /** Samples ever queued and ever read (or dropped by `clear`): marks are positions on this line. */
  #pushed = 0;
  #played = 0;
  #marks: PendingMark[] = [];
  /** The window of queue depths seen at each read: how many reads, and the least and most samples queued. */
  #windowReads = 0;
  #windowMin = Number.POSITIVE_INFINITY;
  /** Depth at the window's first read, and samples pushed during the window. */
  #windowStart = 0;
  #windowPushed = 0;
  /** Reads left in which a due trim looks for a quiet frame (0: none due). */
  #trimDue = 0;
  #trimmed = 0;

  constructor(options: PlayoutQueueOptions) {
    this.#onMark = options.onMark;
    this.#maxSamples = Math.floor((options.maxQueuedMs ?? 120_000) * SAMPLES_PER_MS);
    this.#maxMarks = options.maxMarks ?? 1000;
  }

  /** Milliseconds of audio waiting. */
  get queuedMs(): number {
    return (this.#pushed - this.#played) / SAMPLES_PER_MS;
  }

  /** Milliseconds of audio dropped to keep a real-time bot's audio from lagging (see {@link read}). */
  get trimmedMs(): number {
    return this.#trimmed / SAMPLES_PER_MS;
  }

  /** Marks waiting for their audio to be played. */
  get pendingMarks(): number {
    return this.#marks.length;
  }

  /** Queues a copy of `pcm8k`; false (and nothing queued) when it would exceed `maxQueuedMs`. */
  push(pcm8k: Int16Array): boolean {
    if (this.#pushed - this.#played + pcm8k.length > this.#maxSamples) return false;
    let from = 0;
    while (from < pcm8k.length) {
      if (this.#writeOffset === BLOCK_SAMPLES) {
        this.#blocks.push(new Int16Array(BLOCK_SAMPLES));
        this.#writeOffset = 0;
      }
      const block = this.#blocks[this.#blocks.length - 1]!;
      const n = Math.min(BLOCK_SAMPLES - this.#writeOffset, pcm8k.length - from);
      block.set(pcm8k.subarray(from, from + n), this.#writeOffset);
      this.#writeOffset += n;
      from += n;
    }
    this.#pushed += pcm8k.length;
    this.#windowPushed += pcm8k.length;
    return true;
  }

  /** Adds a mark after the audio queued now; false (and no mark) when `maxMarks` are already waiting. */
  mark(name: string): boolean {
    if (this.#marks.length >= this.#maxMarks) return false;
    this.#marks.push({ name, at: this.#pushed });
    return true;
  }

  /** Drops all queued audio; returns the names of the marks that were waiting, in order (they will not fire). */
  clear(): string[] {
    const names = this.#marks.map((m) => m.name);
    this.#marks = [];
    this.#blocks.length = 0;
    this.#readOffset = 0;
    this.#writeOffset = BLOCK_SAMPLES;
    this.#played = this.#pushed;
    this.#trimDue = 0;
    this.#resetWindow();
    return names;
  }

  /**
   * Fills `frame` with the next queued audio (zeros past its end), then reports the marks it reached;
   * always true. A bot that sends in real time keeps whatever delay its worst hiccup added, so the
   * queue trims it (docs/media-streams.md "Marks and clear"): after a second in which it was at least
   * 40 ms deep at every read while the bot kept sending at the pace of playback (it neither drained a
   * burst sent ahead nor sent faster), one 20 ms frame is dropped — the first quiet one within the
   * next half second, else the next one.
   */
  read(frame: Int16Array): boolean {
    this.#watchLatency();
    let filled = 0;
    while (filled < frame.length && this.#played < this.#pushed) {
      const block = this.#blocks[0]!;
      const end = this.#blocks.length === 1 ? this.#writeOffset : BLOCK_SAMPLES;
      const n = Math.min(end - this.#readOffset, frame.length - filled);
      frame.set(block.subarray(this.#readOffset, this.#readOffset + n), filled);
      filled += n;
      this.#readOffset += n;
      this.#played += n;
      if (this.#readOffset === BLOCK_SAMPLES) {
        this.#blocks.shift();
        this.#readOffset = 0;
      }
    }
    if (filled < frame.length) frame.fill(0, filled);
    if (this.#marks.length > 0 && this.#marks[0]!.at <= this.#played) {
      let count = 0;
      while (count < this.#marks.length && this.#marks[count]!.at <= this.#played) count++;
      // Taken off first: a listener may push, mark or clear while hearing of these.
      const due = this.#marks.splice(0, count);
      for (const m of due) this.#onMark(m.name);
    }
    return true;
  }

  #watchLatency(): void {
    const queued = this.#pushed - this.#played;
    if (this.#trimDue > 0) this.#trimIfQuiet(queued);
    if (this.#windowReads === 0) {
      // What was pushed before the window's first read is part of its starting depth.
      this.#windowStart = queued;
      this.#windowPushed = 0;
    }
    if (queued < this.#windowMin) this.#windowMin = queued;
    if (++this.#windowReads < WINDOW_READS) return;
    const read = WINDOW_READS * FRAME;
    const keptPace = this.#windowPushed >= 0.8 * read && queued - this.#windowStart <= 2 * FRAME;
    if (keptPace && this.#windowMin >= 2 * FRAME && this.#trimDue === 0) this.#trimDue = QUIET_SEARCH_READS;
    this.#resetWindow();
  }

  /** A due trim: drops the head frame when it is quiet, or when the search ran out; cancelled once the lag is gone. */
  #trimIfQuiet(queued: number): void {
    if (queued < 2 * FRAME) {
      this.#trimDue = 0;
      return;
    }
    this.#trimDue--;
    if (this.#trimDue === 0 || this.#headPeak() < QUIET_PEAK) {
      this.#trimDue = 0;
      this.#skip(FRAME);
    }
  }

  /** The largest magnitude among the next frame's samples. */
  #headPeak(): number {
    let peak = 0;
    let block = 0;
    let offset = this.#readOffset;
    for (let i = 0; i < FRAME; i++) {
      if (offset === BLOCK_SAMPLES) {
        block++;
        offset = 0;
      }
      const v = Math.abs(this.#blocks[block]?.[offset++] ?? 0);
      if (v > peak) peak = v;
    }
    return peak;
  }

  /** Drops the next `samples` of queued audio (marks they pass fire at the read that follows). */
  #skip(samples: number): void {
    let left = samples;
    while (left > 0 && this.#played < this.#pushed) {
      const end = this.#blocks.length === 1 ? this.#writeOffset : BLOCK_SAMPLES;
      const n = Math.min(end - this.#readOffset, left);
      this.#readOffset += n;
      this.#played += n;
      this.#trimmed += n;
      left -= n;
      if (this.#readOffset === BLOCK_SAMPLES) {
        this.#blocks.shift();
        this.#readOffset = 0;
      }
    }
  }

  #resetWindow(): void {
    this.#windowReads = 0;
    this.#windowMin = Number.POSITIVE_INFINITY;
    this.#windowPushed = 0;
  }
}
