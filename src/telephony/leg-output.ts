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
 * means a prompt over a bridge, hold music and unbridging never race a playback restart.
 */
export class LegOutput implements AudioSource {
  /** Send silence instead of any media (calls.md `silence`). */
  silence = false;
  /** Hold music to loop while set. */
  musicOnHold: AudioSource | undefined;
  /** While we hold the leg, the bridged peer is not heard (seed: the held party hears silence or music). */
  held = false;
  /** The bridged peer's decoded audio while bridged. */
  peer: AudioSource | undefined;
  #foreground: Foreground | undefined;

  /** True while a prompt is playing. */
  get playing(): boolean {
    return this.#foreground !== undefined;
  }

  /** Plays `source` in the foreground, stopping the current prompt; resolves when it ends or is stopped. */
  play(source: AudioSource, signal?: AbortSignal): Promise<PlayOutcome> {
    this.stop();
    if (signal?.aborted) return Promise.resolve('stopped');
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
    const background = this.musicOnHold ?? (this.held ? undefined : this.peer);
    if (!background || !background.read(frame)) frame.fill(0);
    return this.#silenced(frame);
  }

  #silenced(frame: Int16Array): boolean {
    if (this.silence) frame.fill(0);
    return true;
  }

  #finish(entry: Foreground, outcome: PlayOutcome): void {
    if (this.#foreground === entry) this.#foreground = undefined;
    entry.done(outcome);
  }
}
