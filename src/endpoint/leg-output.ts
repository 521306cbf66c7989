import type { AudioSource } from '../media/index.ts';
import type { PlayOutcome } from './media-endpoint.ts';

interface Foreground {
  source: AudioSource;
  done(outcome: PlayOutcome): void;
}

/**
 * Everything a leg hears, as the one never-ending source its endpoint plays, chosen per 20 ms
 * frame: silence while `silence` is on; else the foreground prompt (talk, play, beep); else hold
 * music while `musicOnHold` is set; else the bridged peer's audio; else silence. Choosing per frame
 * means a prompt over a bridge, hold music and unbridging never race a playback restart. An
 * {@link overlay} (a media stream's bot speaking) is mixed over all of it. While {@link hearsPeer}
 * holds, a relay may send the peer's packets to the leg instead of this output.
 */
export class LegOutput implements AudioSource {
  #silence = false;
  #musicOnHold: AudioSource | undefined;
  #held = false;
  #peer: AudioSource | undefined;
  #foreground: Foreground | undefined;
  #overlay: AudioSource | undefined;
  #overlayFrame: Int16Array | undefined;
  #onChange: (() => void) | undefined;

  /** Send silence instead of any media (docs/calls.md `silence`). */
  get silence(): boolean {
    return this.#silence;
  }

  set silence(on: boolean) {
    this.#silence = on;
    this.#changed();
  }

  /** Hold music to loop while set. */
  get musicOnHold(): AudioSource | undefined {
    return this.#musicOnHold;
  }

  set musicOnHold(source: AudioSource | undefined) {
    this.#musicOnHold = source;
    this.#changed();
  }

  /** While we hold the leg, the bridged peer is not heard (docs/calls.md "Live control endpoints": a held call hears silence or music). */
  get held(): boolean {
    return this.#held;
  }

  set held(on: boolean) {
    this.#held = on;
    this.#changed();
  }

  /** The bridged peer's decoded audio while bridged. */
  get peer(): AudioSource | undefined {
    return this.#peer;
  }

  set peer(source: AudioSource | undefined) {
    this.#peer = source;
    this.#changed();
  }

  /**
   * Audio mixed (saturating) over whatever the leg hears: prompt, hold music, bridged peer or
   * silence. It is read on every frame the leg is sent, so it keeps time, but not heard while
   * `silence` is on or the leg is held; a source that ends is removed.
   */
  get overlay(): AudioSource | undefined {
    return this.#overlay;
  }

  set overlay(source: AudioSource | undefined) {
    if (source === this.#overlay) return;
    this.#overlay = source;
    this.#changed();
  }

  /** True while a prompt is playing. */
  get playing(): boolean {
    return this.#foreground !== undefined;
  }

  /**
   * True while the leg hears its bridged peer alone: bridged, and no silence, prompt, hold music,
   * hold or overlay (a relay could not carry the mix).
   */
  get hearsPeer(): boolean {
    return (
      this.#peer !== undefined &&
      !this.#silence &&
      !this.#foreground &&
      !this.#musicOnHold &&
      !this.#held &&
      !this.#overlay
    );
  }

  /** Sets the one listener told when {@link hearsPeer} may have changed (overlay included); returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.#onChange = listener;
    return () => {
      if (this.#onChange === listener) this.#onChange = undefined;
    };
  }

  /** Plays `source` in the foreground, stopping the current prompt; resolves when it ends or is stopped. */
  play(source: AudioSource, signal?: AbortSignal): Promise<PlayOutcome> {
    if (signal?.aborted) {
      this.stop();
      return Promise.resolve('stopped');
    }
    // The previous prompt is replaced without a moment of "hears the peer" in between.
    const previous = this.#foreground;
    this.#foreground = undefined;
    previous?.done('stopped');
    return new Promise((resolve) => {
      const onAbort = (): void => this.#finish(entry, 'stopped');
      const entry: Foreground = {
        source,
        done: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#foreground = entry;
      this.#changed();
    });
  }

  /** Stops the foreground prompt (its promise resolves `stopped`). */
  stop(): void {
    if (this.#foreground) this.#finish(this.#foreground, 'stopped');
  }

  /** Fills one frame; never ends. */
  read(frame: Int16Array): boolean {
    const fg = this.#foreground;
    if (fg && !fg.source.read(frame)) this.#finish(fg, 'ended');
    else if (fg) return this.#silenced(frame);
    const background = this.#musicOnHold ?? (this.#held ? undefined : this.#peer);
    if (!background?.read(frame)) frame.fill(0);
    return this.#silenced(frame);
  }

  #silenced(frame: Int16Array): boolean {
    const overlay = this.#overlay;
    if (overlay) this.#mix(overlay, frame, !this.#silence && !this.#held);
    if (this.#silence) frame.fill(0);
    return true;
  }

  /** Reads one frame of the overlay and, when `audible`, adds it to `frame` (clipped to int16). */
  #mix(overlay: AudioSource, frame: Int16Array, audible: boolean): void {
    let extra = this.#overlayFrame;
    if (extra?.length !== frame.length) extra = this.#overlayFrame = new Int16Array(frame.length);
    if (!overlay.read(extra)) {
      if (this.#overlay === overlay) this.overlay = undefined;
      return;
    }
    if (!audible) return;
    for (let i = 0; i < frame.length; i++) {
      const sum = (frame[i] as number) + (extra[i] as number);
      frame[i] = Math.min(32767, Math.max(-32768, sum));
    }
  }

  #finish(entry: Foreground, outcome: PlayOutcome): void {
    if (this.#foreground !== entry) return entry.done(outcome);
    this.#foreground = undefined;
    entry.done(outcome);
    this.#changed();
  }

  #changed(): void {
    this.#onChange?.();
  }
}
