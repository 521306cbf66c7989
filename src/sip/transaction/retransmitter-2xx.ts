import type { Clock } from '../../shared/index.ts';
import { TimerSet } from './timer-set.ts';
import { DEFAULT_TIMERS } from './timer-config.ts';

/** Options of a {@link Retransmitter2xx}. */
export interface Retransmitter2xxOptions {
  clock: Clock;
  /** Sends the 2xx once more; errors are the caller's to handle. */
  retransmit: () => void;
  /** Called when 64*T1 passed without ACK (RFC 3261 §13.3.1.4: the UAS should then BYE). */
  onTimeout?: () => void;
  t1Ms?: number;
  t2Ms?: number;
}

/**
 * RFC 3261 §13.3.1.4: the UAS core retransmits a 2xx to INVITE at T1, 2*T1… capped at T2,
 * until the ACK arrives or 64*T1 has passed. The dialog layer owns one per answered INVITE;
 * the first transmission is the caller's.
 */
export class Retransmitter2xx {
  readonly #timers: TimerSet<'retransmit' | 'giveUp'>;
  readonly #options: Retransmitter2xxOptions;
  readonly #t2Ms: number;
  #done = false;

  constructor(options: Retransmitter2xxOptions) {
    this.#options = options;
    this.#timers = new TimerSet(options.clock);
    const t1Ms = options.t1Ms ?? DEFAULT_TIMERS.t1Ms;
    this.#t2Ms = options.t2Ms ?? DEFAULT_TIMERS.t2Ms;
    this.#arm(t1Ms);
    this.#timers.start('giveUp', 64 * t1Ms, () => {
      this.#stop();
      this.#options.onTimeout?.();
    });
  }

  /** True until the ACK arrived, the timeout fired or `stop()` was called. */
  get active(): boolean {
    return !this.#done;
  }

  /** The ACK arrived: stop retransmitting. */
  ack(): void {
    this.#stop();
  }

  /** Stop without an ACK (the dialog is going away). */
  stop(): void {
    this.#stop();
  }

  #arm(intervalMs: number): void {
    this.#timers.start('retransmit', intervalMs, () => {
      this.#options.retransmit();
      this.#arm(Math.min(2 * intervalMs, this.#t2Ms));
    });
  }

  #stop(): void {
    this.#done = true;
    this.#timers.stopAll();
  }
}
