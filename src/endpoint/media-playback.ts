import { FRAME_SAMPLES, type AudioSender, type AudioSource } from '../media/index.ts';

/** How a playback finished: it ran out, or it was stopped (stopPlayback, a newer play, abort, close). */
export type PlayOutcome = 'ended' | 'stopped';

interface Current {
  stop(): void;
}

/**
 * One playback at a time on a leg's AudioSender: a new play stops the previous one, and every
 * frame the sender takes is copied into `sent` so the leg can record what the endpoint heard.
 */
export class MediaPlayback {
  readonly #sender: AudioSender;
  readonly #sent: Int16Array;
  #current: Current | undefined;
  #filled = false;

  constructor(sender: AudioSender) {
    this.#sender = sender;
    this.#sent = new Int16Array(FRAME_SAMPLES);
  }

  /** Takes the frame sent this tick (silence when none was), once per tick. */
  takeSentFrame(): Int16Array {
    if (!this.#filled) this.#sent.fill(0);
    this.#filled = false;
    return this.#sent;
  }

  /** Plays `source`, stopping the current playback; resolves when it ends or is stopped. */
  play(source: AudioSource, signal?: AbortSignal): Promise<PlayOutcome> {
    this.stop();
    if (signal?.aborted) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      const tap: AudioSource = {
        read: (frame) => {
          const more = source.read(frame);
          if (more) {
            this.#sent.set(frame.subarray(0, FRAME_SAMPLES));
            this.#filled = true;
          }
          return more;
        },
      };
      const onAbort = (): void => this.stop();
      const finish = (outcome: PlayOutcome): void => {
        offEnded();
        signal?.removeEventListener('abort', onAbort);
        if (this.#current === current) this.#current = undefined;
        resolve(outcome);
      };
      const offEnded = this.#sender.on('ended', (ended) => {
        if (ended === tap) finish('ended');
      });
      const current: Current = {
        stop: () => {
          this.#sender.setSource(undefined);
          finish('stopped');
        },
      };
      this.#current = current;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sender.setSource(tap);
    });
  }

  /** Stops the current playback (its promise resolves `stopped`); the sender goes back to silence. */
  stop(): void {
    this.#current?.stop();
  }
}
