import type { Logger } from '../shared/index.ts';
import type { CallLeg } from './ports.ts';

/** What a HoldSignal needs from the call that owns it. */
export interface HoldSignalOwner {
  logger: Logger;
  /** Runs the re-INVITE loop that nobody awaits, logging its failure. */
  background(work: Promise<unknown>, what: string): void;
  /** Names the call in background-work logs. */
  name: string;
}

/**
 * What the far end of a call's leg was told about hold, and what it should be told. The hold
 * control takes effect locally at once (the leg hears music or silence); telling the far end is a
 * re-INVITE that may take up to 64*T1 and that the API never waits for. RFC 3261 §14.1: one
 * INVITE transaction at a time per dialog, so re-INVITEs run one after another and a change asked
 * for while one is pending is sent after it (only the latest wish, none when it is already true).
 * A child of its LiveCall: once the call leaves `progressing` (or the service shuts down) the call
 * tells it `parentClosed()`, and no further re-INVITE is sent; it never asks the call for its state.
 */
export class HoldSignal {
  /** The leg the re-INVITEs go to. */
  readonly leg: CallLeg;
  readonly #owner: HoldSignalOwner;
  /** What the last accepted re-INVITE told the far end (false: `sendrecv`, as at answer). */
  #told = false;
  /** What the hold control asked for last. */
  #wanted = false;
  /** True while re-INVITEs are being sent. */
  #sending = false;
  #closed = false;

  constructor(leg: CallLeg, owner: HoldSignalOwner) {
    this.leg = leg;
    this.#owner = owner;
  }

  /** Tells the far end about the hold state `on`, in the background. */
  want(on: boolean): void {
    this.#wanted = on;
    if (this.#sending || this.#closed) return;
    this.#sending = true;
    this.#owner.background(this.#sendUntilTold(), `call ${this.#owner.name}: hold re-INVITE`);
  }

  /** The owning call ended or was dropped: send nothing more (a pending re-INVITE finishes alone). */
  parentClosed(): void {
    this.#closed = true;
  }

  async #sendUntilTold(): Promise<void> {
    try {
      while (this.#told !== this.#wanted && !this.#closed) {
        const on = this.#wanted;
        try {
          await (on ? this.leg.hold() : this.leg.unhold());
        } catch (err) {
          // RFC 3261 §14.1: after a non-2xx the session stays as it was (the far end was not told);
          // the leg still hears what the hold control set. A timeout, 408 or 481 also ended the
          // dialog, which the leg reports as remoteBye({failed: true}) and the call hangs up.
          this.#owner.logger.warn(
            { err, hold: on },
            'hold re-INVITE failed; the far end keeps the previous media direction',
          );
          return;
        }
        this.#told = on;
      }
    } finally {
      this.#sending = false;
    }
  }
}
