/**
 * How far behind the newest audio (or the recording's tick clock) a packet may land and still be
 * placed: 200 ms at 8 kHz, the jitter buffer's most lead. It is also how much longer `_in` stays in
 * memory than `_out`, so a crash loses at most this on top of the writer's flush interval.
 */
export const PLACEMENT_WINDOW_SAMPLES = 1600;
/**
 * While no audio comes (a sender stalled, a packet path held up, hold or mute), what follows the
 * newest audio placed is written only once it lies this far behind the tick clock (1 s): late
 * packets that then come in order are placed by their timestamps right after it, with no gap.
 */
export const QUIET_HOLD_SAMPLES = 8000;
/** How far ahead of the recording's tick clock a packet may land (2 s); beyond it the stream is anchored afresh. */
export const MAX_AHEAD_SAMPLES = 16000;
/** Most samples one placed packet may carry (500 ms); a larger one is not placed. */
export const MAX_PLACED_SAMPLES = 4000;

/** What a HeardTimeline did with its input. */
export interface HeardTimelineStats {
  /** Packets placed by their timestamp. */
  placed: number;
  /** Packets older than the newest one that came after their place was written (dropped). */
  late: number;
  /** Times the stream was anchored: the first packet, a restart, a jump or a stall beyond the bounds. */
  anchors: number;
}

/**
 * The `_in` side of a recording (docs/media.md "Recording"): received audio is placed by its RTP
 * timestamp (8 kHz units, as G.711 counts), relative to the packet that anchored the stream, in a
 * fixed ring one placement window plus one packet long. Samples are handed to `sink` once they lie
 * a window behind the newest audio or behind the recording's tick clock, but past the newest audio
 * only once that lies {@link QUIET_HOLD_SAMPLES} behind the clock; places nothing filled are handed
 * on as silence. So packets that come late, in a burst, out of order or after their sender stalled
 * land where they belong, and only lost ones leave silence. Memory is the ring whatever the
 * timestamps say: a packet more than {@link MAX_AHEAD_SAMPLES} ahead of the tick clock, a far jump
 * back, or an in-order packet whose place was already written (a stall longer than the quiet hold)
 * anchors the stream afresh right after what is there, at the tick clock at the earliest.
 */
export class HeardTimeline {
  readonly #ring = new Int16Array(PLACEMENT_WINDOW_SAMPLES + MAX_PLACED_SAMPLES);
  readonly #sink: (samples: Int16Array) => void;
  /** Samples handed to the sink so far: positions before it are written. */
  #committed = 0;
  /** End of the audio placed so far. */
  #end = 0;
  #anchored = false;
  #anchorPos = 0;
  #anchorTs = 0;
  #newestTs = 0;
  readonly #stats: HeardTimelineStats = { placed: 0, late: 0, anchors: 0 };

  /** `sink` takes each run of samples in order; the array is reused after the call: copy what must be kept. */
  constructor(sink: (samples: Int16Array) => void) {
    this.#sink = sink;
  }

  /** What happened so far. */
  get stats(): Readonly<HeardTimelineStats> {
    return this.#stats;
  }

  /** Samples handed to the sink so far. */
  get committed(): number {
    return this.#committed;
  }

  /** Places a received packet's samples by its RTP timestamp; `now` is the tick clock's position in samples. */
  placePacket(pcm: Int16Array, rtpTimestamp: number, now: number): void {
    if (pcm.length === 0 || pcm.length > MAX_PLACED_SAMPLES) return;
    const pos = this.#place(rtpTimestamp >>> 0, now);
    if (pos < 0) {
      this.#stats.late++;
      return;
    }
    this.#stats.placed++;
    this.#put(pcm, pos);
  }

  /** Where a packet stamped `ts` lands, anchoring afresh when it must; -1 when its place is already written. */
  #place(ts: number, now: number): number {
    if (!this.#anchored) return this.#anchor(ts, now);
    // RFC 3550 timestamps wrap at 32 bits: signed distances.
    const sinceNewest = (ts - this.#newestTs) | 0;
    const pos = this.#anchorPos + ((ts - this.#anchorTs) | 0);
    const newer = sinceNewest > 0;
    if (pos > now + MAX_AHEAD_SAMPLES || sinceNewest < -MAX_AHEAD_SAMPLES || (newer && pos < this.#committed)) {
      return this.#anchor(ts, now);
    }
    if (pos < this.#committed) return -1;
    if (newer) this.#newestTs = ts;
    return pos;
  }

  /**
   * Places a frame that came without a timestamp (the tick's decoded frame, a leg whose packets are
   * not passed on) at the tick clock, after what is there; the next packet anchors afresh.
   */
  placeFrame(frame: Int16Array, now: number): void {
    this.#anchored = false;
    if (frame.length > 0 && frame.length <= MAX_PLACED_SAMPLES) this.#put(frame, Math.max(now, this.#end));
  }

  /**
   * The tick clock moved to `now`: what lies a window behind it is handed on (silence where nothing
   * came), but nothing past the newest audio placed until that lies {@link QUIET_HOLD_SAMPLES} behind.
   */
  advance(now: number): void {
    this.#commit(Math.min(now - PLACEMENT_WINDOW_SAMPLES, Math.max(this.#end, now - QUIET_HOLD_SAMPLES)));
  }

  /** Hands on everything placed, padded with silence up to `until` at least; returns the samples handed on in all. */
  finish(until: number): number {
    this.#commit(Math.max(this.#end, until));
    return this.#committed;
  }

  #anchor(ts: number, now: number): number {
    this.#anchored = true;
    this.#stats.anchors++;
    this.#anchorPos = Math.max(now, this.#end, this.#committed);
    this.#anchorTs = ts;
    this.#newestTs = ts;
    return this.#anchorPos;
  }

  #put(pcm: Int16Array, pos: number): void {
    const ring = this.#ring;
    const end = pos + pcm.length;
    // Room in the ring: what lies a window behind this packet is written.
    if (end - this.#committed > ring.length) this.#commit(end - ring.length);
    const at = pos % ring.length;
    const first = Math.min(pcm.length, ring.length - at);
    ring.set(pcm.subarray(0, first), at);
    if (first < pcm.length) ring.set(pcm.subarray(first), 0);
    if (end > this.#end) this.#end = end;
  }

  /** Hands samples before `to` to the sink; the ring's cells are cleared for the positions a ring later. */
  #commit(to: number): void {
    const ring = this.#ring;
    while (this.#committed < to) {
      const at = this.#committed % ring.length;
      const n = Math.min(to - this.#committed, ring.length - at);
      const run = ring.subarray(at, at + n);
      this.#sink(run);
      run.fill(0);
      this.#committed += n;
    }
  }
}
