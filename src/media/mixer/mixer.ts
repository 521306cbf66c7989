import { InvalidStateError, ValidationError } from '../../shared/index.ts';
import { FRAME_SAMPLES } from '../clock/index.ts';
import type { AudioSink, AudioSource } from '../leg/index.ts';

/** Mute state of a participant: `in` = hears nothing, `out` = heard by nobody. */
export type MuteDirection = 'in' | 'out';

/** One conference member: where its voice comes from and where its mix goes. */
export interface MixerParticipantOptions {
  id: string;
  source: AudioSource;
  sink: AudioSink;
}

/** A participant with its preallocated frames. */
class Participant {
  readonly id: string;
  readonly source: AudioSource;
  readonly sink: AudioSink;
  readonly input = new Int16Array(FRAME_SAMPLES);
  readonly output = new Int16Array(FRAME_SAMPLES);
  mutedIn = false;
  mutedOut = false;
  active = true;

  constructor(options: MixerParticipantOptions) {
    this.id = options.id;
    this.source = options.source;
    this.sink = options.sink;
  }
}

function clamp16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

/**
 * N−1 conference mixing on each 20 ms tick: every participant receives the saturated sum of all
 * other audible participants, never itself; the mix of everyone goes to an optional recording
 * sink. Frames are preallocated at join, so a tick allocates nothing.
 */
export class Mixer {
  readonly #participants: Participant[] = [];
  readonly #sum = new Int32Array(FRAME_SAMPLES);
  readonly #mix = new Int16Array(FRAME_SAMPLES);
  #recording: AudioSink | undefined;
  #closed = false;

  /** Number of participants. */
  get size(): number {
    return this.#participants.length;
  }

  /** Adds a participant (takes effect on the next tick); ids are unique. */
  join(options: MixerParticipantOptions): void {
    this.#assertOpen();
    if (this.#participants.some((p) => p.id === options.id)) {
      throw ValidationError.field('id', 'DUPLICATE_PARTICIPANT', `participant ${options.id} already joined`);
    }
    this.#participants.push(new Participant(options));
  }

  /** Removes a participant; unknown ids are ignored. */
  leave(id: string): void {
    const i = this.#participants.findIndex((p) => p.id === id);
    if (i >= 0) this.#participants.splice(i, 1);
  }

  /** Sets one mute direction of a participant. */
  setMuted(id: string, direction: MuteDirection, muted: boolean): void {
    this.#assertOpen();
    const p = this.#participants.find((x) => x.id === id);
    if (!p) throw ValidationError.field('id', 'UNKNOWN_PARTICIPANT', `participant ${id} is not in the mixer`);
    if (direction === 'in') p.mutedIn = muted;
    else p.mutedOut = muted;
  }

  /** Sets (or clears) the sink that receives the mix of everyone, for conference recording. */
  setRecordingSink(sink: AudioSink | undefined): void {
    this.#assertOpen();
    this.#recording = sink;
  }

  /** Mixes one frame: read every source, sum the audible ones, write N−1 mixes and the full mix. */
  tick(): void {
    if (this.#closed) return;
    const ps = this.#participants;
    const sum = this.#sum;
    sum.fill(0);
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i] as Participant;
      p.active = p.source.read(p.input);
      if (!p.active || p.mutedOut) continue;
      const input = p.input;
      for (let s = 0; s < FRAME_SAMPLES; s++) sum[s] = (sum[s] as number) + (input[s] as number);
    }
    for (let i = 0; i < ps.length; i++) this.#writeOutput(ps[i] as Participant);
    if (this.#recording) {
      const mix = this.#mix;
      for (let s = 0; s < FRAME_SAMPLES; s++) mix[s] = clamp16(sum[s] as number);
      this.#recording.write(mix);
    }
  }

  /** Stops mixing and drops every participant; idempotent. */
  close(): void {
    this.#closed = true;
    this.#participants.length = 0;
    this.#recording = undefined;
  }

  #writeOutput(p: Participant): void {
    const out = p.output;
    if (p.mutedIn) out.fill(0);
    else {
      const sum = this.#sum;
      const own = p.active && !p.mutedOut ? p.input : undefined;
      if (own) for (let s = 0; s < FRAME_SAMPLES; s++) out[s] = clamp16((sum[s] as number) - (own[s] as number));
      else for (let s = 0; s < FRAME_SAMPLES; s++) out[s] = clamp16(sum[s] as number);
    }
    p.sink.write(out);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('mixer is closed', 'MIXER_CLOSED');
  }
}
