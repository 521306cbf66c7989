import type { DtmfDigit } from './ports.ts';

interface Waiter {
  readonly take: boolean;
  resolve: (digit: DtmfDigit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * DTMF digits received on a call, kept until an action takes them, so digits pressed before an
 * action started still count for it (type-ahead).
 */
export class DigitBuffer {
  readonly #pending: DtmfDigit[] = [];
  #waiters: Waiter[] = [];

  /** Digits received and not taken yet. */
  get size(): number {
    return this.#pending.length;
  }

  /** A digit arrived: the oldest taker gets it; otherwise it is kept and watchers are told. */
  push(digit: DtmfDigit): void {
    const taker = this.#waiters.find((w) => w.take);
    const watchers = taker ? [] : this.#waiters.filter((w) => !w.take);
    if (!taker) this.#pending.push(digit);
    this.#waiters = this.#waiters.filter((w) => w !== taker && !watchers.includes(w));
    for (const w of taker ? [taker] : watchers) {
      w.signal.removeEventListener('abort', w.onAbort);
      w.resolve(digit);
    }
  }

  /** Takes the oldest kept digit, or the next to arrive; rejects with the signal's reason when it aborts. */
  take(signal: AbortSignal): Promise<DtmfDigit> {
    const kept = this.#pending.shift();
    if (kept !== undefined) return Promise.resolve(kept);
    return this.#wait(true, signal);
  }

  /** Resolves with the oldest kept digit (or the next to arrive) without taking it. */
  peek(signal: AbortSignal): Promise<DtmfDigit> {
    const kept = this.#pending[0];
    if (kept !== undefined) return Promise.resolve(kept);
    return this.#wait(false, signal);
  }

  /** Drops every kept digit. */
  clear(): void {
    this.#pending.length = 0;
  }

  #wait(take: boolean, signal: AbortSignal): Promise<DtmfDigit> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        take,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }
}
