/** Options of a JitterBuffer, in 20 ms frames. */
export interface JitterBufferOptions {
  /** Lead the buffer starts with and never shrinks below; default 1: a packet plays on the first tick after it came. */
  targetFrames?: number;
  /** Most lead it keeps: beyond it the oldest frames are skipped; default 10 (200 ms). */
  maxFrames?: number;
  /** Pops in a row with a frame to spare on each after which the lead shrinks by one frame; default 50 (1 s). */
  shrinkTicks?: number;
  /**
   * Whether a payload may be dropped unheard to shrink the lead (a quiet one); default: any may. A
   * shrink waits for such a frame, for at most {@link FORCED_SHRINK_FACTOR} × `shrinkTicks`.
   */
  droppable?: (payload: Uint8Array) => boolean;
}

/** A shrink that found no droppable frame for this many times `shrinkTicks` drops the next one anyway. */
export const FORCED_SHRINK_FACTOR = 10;

/** Counters of what the buffer did with its input. */
export interface JitterBufferStats {
  /** Payloads handed out. */
  played: number;
  /** Ticks that had nothing to play while the stream was on (loss, or a packet late for its tick). */
  concealed: number;
  /** Packets that came after their tick had passed (dropped). */
  late: number;
  /** Packets that came twice (dropped). */
  duplicate: number;
  /** Frames dropped to keep the lead within `maxFrames` or to shrink it. */
  skipped: number;
  /** Frames the lead grew by (packets played after their tick was concealed, late ones). */
  grown: number;
  /** Times the lead shrank by a frame (dropped after a steady stretch). */
  shrunk: number;
}

const SLOTS = 64;

function seqDiff(a: number, b: number): number {
  // RFC 3550 sequence numbers wrap at 16 bits: signed distance from b to a.
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}

/**
 * An adaptive jitter buffer (docs/media.md "Jitter buffer"): reorders received payloads by sequence
 * number and hands out one per 20 ms tick. It starts shallow (a packet plays on the first tick
 * after it came) and lets the stream set its lead: a tick whose packet has not come is concealed
 * without giving the packet up, so a late packet plays one tick later and every later one keeps
 * that extra frame of lead; a packet that comes after its turn was concealed (reordering) is
 * dropped and buys one more frame. After `shrinkTicks` pops in a row that each had a frame to spare,
 * one frame is dropped (a quiet one, when `droppable` says which) and the lead shrinks by one. The
 * lead never exceeds `maxFrames`. Ticks
 * concealed while waiting stand in for frames that turn out to be lost, so a loss is concealed once.
 * No clock: the owner calls {@link pop} once per media clock tick.
 */
export class JitterBuffer {
  readonly #min: number;
  readonly #max: number;
  readonly #shrinkTicks: number;
  readonly #droppable: ((payload: Uint8Array) => boolean) | undefined;
  readonly #payloads: (Uint8Array | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #seqs = new Int32Array(SLOTS).fill(-1);
  /** Sequence numbers whose turn was concealed, so a packet coming afterwards is late, not a duplicate. */
  readonly #missed = new Int32Array(SLOTS).fill(-1);
  #target: number;
  #nextSeq = -1;
  #highestSeq = -1;
  #playing = false;
  /** Ticks in a row concealed with nothing buffered. */
  #waitTicks = 0;
  /** Concealed ticks not yet matched by a frame: they stand in for frames found missing later. */
  #credit = 0;
  #growPending = false;
  #steadyTicks = 0;
  readonly #stats: JitterBufferStats = {
    played: 0,
    concealed: 0,
    late: 0,
    duplicate: 0,
    skipped: 0,
    grown: 0,
    shrunk: 0,
  };

  constructor(options: JitterBufferOptions = {}) {
    this.#max = Math.max(1, Math.min(options.maxFrames ?? 10, SLOTS - 1));
    this.#min = Math.min(this.#max, Math.max(1, options.targetFrames ?? 1));
    this.#shrinkTicks = Math.max(1, options.shrinkTicks ?? 50);
    this.#droppable = options.droppable;
    this.#target = this.#min;
  }

  /** What happened so far. */
  get stats(): Readonly<JitterBufferStats> {
    return this.#stats;
  }

  /** Frames buffered ahead of the playout point (gaps included). */
  get depth(): number {
    return this.#nextSeq < 0 || this.#highestSeq < 0 ? 0 : Math.max(0, seqDiff(this.#highestSeq, this.#nextSeq) + 1);
  }

  /** The lead it aims for now, in frames: what playout waits for after a (re)start; grows and shrinks with the stream. */
  get target(): number {
    return this.#target;
  }

  /** Stores a payload (kept by reference, not copied); late and duplicate packets are dropped. */
  push(seq: number, payload: Uint8Array): void {
    // A jump far outside the window is a restarted stream (new SSRC, re-INVITE), not a late packet.
    if (this.#nextSeq < 0 || Math.abs(seqDiff(seq, this.#nextSeq)) > SLOTS * 4) this.reset(seq);
    const slot = seq % SLOTS;
    if (seqDiff(seq, this.#nextSeq) < 0) {
      if (this.#missed[slot] !== seq) {
        this.#stats.duplicate++;
        return;
      }
      // Its turn was concealed: too late now, and a sign the lead is too short for this stream.
      this.#missed[slot] = -1;
      this.#stats.late++;
      if (this.#target < this.#max) this.#growPending = true;
      return;
    }
    if (this.#seqs[slot] === seq) {
      this.#stats.duplicate++;
      return;
    }
    if (seqDiff(seq, this.#nextSeq) >= this.#max) this.#makeRoom(seq);
    this.#seqs[slot] = seq;
    this.#payloads[slot] = payload;
    if (this.#highestSeq < 0 || seqDiff(seq, this.#highestSeq) > 0) this.#highestSeq = seq;
  }

  /**
   * Takes the payload due on this tick: a payload, `null` for a tick to conceal, or `undefined`
   * while buffering (before playout starts or after the stream went away).
   */
  pop(): Uint8Array | null | undefined {
    if (!this.#playing && !this.#start()) return undefined;
    const depth = this.depth;
    if (depth === 0) return this.#wait();
    if (this.#growPending) {
      // One tick of concealment without giving anything up: every frame after it plays a tick later.
      this.#growPending = false;
      this.#grow(1);
      this.#steadyTicks = 0;
      this.#stats.concealed++;
      return null;
    }
    this.#waitTicks = 0;
    // Frames missing at the head while later ones are here: the ticks concealed while waiting stood in for them.
    while (this.#credit > 0 && !this.#present(this.#nextSeq) && this.depth > 1) {
      this.#credit--;
      this.#consume(true);
    }
    if (!this.#present(this.#nextSeq)) {
      // Lost or reordered beyond the lead: conceal its turn.
      this.#steadyTicks = 0;
      this.#stats.concealed++;
      return this.#consume(true);
    }
    if (this.#credit > 0) {
      // It came after its tick was concealed: the stream now plays that many ticks later.
      this.#grow(this.#credit);
      this.#credit = 0;
    }
    if (this.depth > 1) this.#steadyTicks++;
    else this.#steadyTicks = 0;
    if (this.#steadyTicks >= this.#shrinkTicks && this.#mayDrop()) {
      // A frame to spare on every pop for a while: drop one to cut the lead.
      this.#steadyTicks = 0;
      this.#stats.shrunk++;
      this.#skip();
      if (this.#target > this.#min) this.#target--;
      if (!this.#present(this.#nextSeq)) {
        this.#stats.concealed++;
        return this.#consume(true);
      }
    }
    this.#stats.played++;
    return this.#consume(false);
  }

  /** Forgets everything buffered and expects `nextSeq` next (stream restart): the lead starts shallow again. */
  reset(nextSeq: number): void {
    this.#seqs.fill(-1);
    this.#missed.fill(-1);
    this.#payloads.fill(undefined);
    this.#nextSeq = nextSeq & 0xffff;
    this.#highestSeq = -1;
    this.#playing = false;
    this.#target = this.#min;
    this.#waitTicks = 0;
    this.#credit = 0;
    this.#growPending = false;
    this.#steadyTicks = 0;
  }

  /**
   * `seq` lies beyond the lead's bound: skip the oldest frames, then the sequence numbers nothing
   * came for (the stream jumped), so it plays after what is left rather than after a run of gaps.
   */
  #makeRoom(seq: number): void {
    while (this.depth > 0 && seqDiff(seq, this.#nextSeq) >= this.#max) this.#skip();
    while (seqDiff(seq, this.#nextSeq) > 0 && !this.#present(this.#nextSeq)) this.#consume(false);
    this.#credit = 0;
  }

  /** Starts playout once `target` frames are here, from the first one present (a pause's gap is not played). */
  #start(): boolean {
    if (this.depth === 0) return false;
    while (!this.#present(this.#nextSeq)) this.#consume(true);
    if (this.depth < this.#target) return false;
    this.#playing = true;
    this.#waitTicks = 0;
    this.#credit = 0;
    this.#steadyTicks = 0;
    return true;
  }

  /** A tick with nothing buffered: conceal it and wait for the frame; long silence means the stream paused. */
  #wait(): null | undefined {
    this.#steadyTicks = 0;
    if (++this.#waitTicks > this.#max) {
      // The stream paused (hold, DTMF, silence suppression): buffer again before playing.
      this.#playing = false;
      this.#credit = 0;
      this.#growPending = false;
      return undefined;
    }
    this.#credit++;
    this.#stats.concealed++;
    return null;
  }

  #mayDrop(): boolean {
    if (!this.#droppable || this.#steadyTicks >= this.#shrinkTicks * FORCED_SHRINK_FACTOR) return true;
    const payload = this.#payloads[this.#nextSeq % SLOTS];
    return payload !== undefined && this.#droppable(payload);
  }

  #grow(frames: number): void {
    this.#stats.grown += frames;
    this.#target = Math.min(this.#max, this.#target + frames);
  }

  #present(seq: number): boolean {
    return this.#seqs[seq % SLOTS] === seq;
  }

  #skip(): void {
    if (this.#consume(false)) this.#stats.skipped++;
  }

  /** Moves past `nextSeq`, returning its payload; `missed` remembers it as concealed. */
  #consume(missed: boolean): Uint8Array | null {
    const seq = this.#nextSeq;
    const slot = seq % SLOTS;
    const payload = this.#seqs[slot] === seq ? this.#payloads[slot] : undefined;
    if (payload) {
      this.#seqs[slot] = -1;
      this.#payloads[slot] = undefined;
    }
    this.#missed[slot] = missed && !payload ? seq : -1;
    this.#nextSeq = (seq + 1) & 0xffff;
    if (this.#highestSeq >= 0 && seqDiff(this.#nextSeq, this.#highestSeq) > 1)
      this.#highestSeq = (this.#nextSeq - 1) & 0xffff;
    return payload ?? null;
  }
}
