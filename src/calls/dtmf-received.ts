import { isoNow, newId, type Clock } from '../shared/index.ts';

/** The event type of a digit a call received (docs/events.md "Event types"). */
export const DTMF_RECEIVED_EVENT = 'dtmf_received';

/**
 * Most `dtmf_received` events one call emits per second, on average; a burst may take up to this
 * many at once. Digits beyond it are counted and dropped, so a flood of digits cannot flood the
 * outbox (docs/events.md "Event types").
 */
export const DTMF_EVENTS_PER_SECOND = 20;

/** The data of a `dtmf_received` event: one digit a call received (RFC 4733 event or SIP INFO). */
export interface DtmfReceived {
  /** A new id per digit. */
  id: string;
  customer_id: string;
  call_id: string;
  /** `0`-`9`, `*`, `#`, `A`-`D`. */
  digit: string;
  /** How long the key was pressed, in milliseconds. */
  duration: number;
  tm_create: string;
}

/** The event data of `digit` pressed for `durationMs` on a call of `customerId`, now. */
export function dtmfReceived(
  clock: Pick<Clock, 'now'>,
  call: { id: string; customer_id: string },
  digit: { digit: string; durationMs: number },
): DtmfReceived {
  return {
    id: newId(),
    customer_id: call.customer_id,
    call_id: call.id,
    digit: digit.digit,
    duration: Math.max(0, Math.round(digit.durationMs)),
    tm_create: isoNow(clock),
  };
}

interface Bucket {
  tokens: number;
  atMs: number;
  dropped: number;
}

/**
 * The per-call budget of `dtmf_received` events: a token bucket of `perSecond` tokens refilled at
 * `perSecond` a second on the injected clock. `take` spends one or counts a drop.
 */
export class DtmfEventBudget {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #perSecond: number;
  readonly #calls = new Map<string, Bucket>();
  #droppedTotal = 0;

  constructor(clock: Pick<Clock, 'now'>, perSecond = DTMF_EVENTS_PER_SECOND) {
    this.#clock = clock;
    this.#perSecond = perSecond;
  }

  /** True when the call may emit one more event now (and spends it); false counts a dropped digit. */
  take(callId: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#calls.get(callId);
    if (!bucket) {
      bucket = { tokens: this.#perSecond, atMs: now, dropped: 0 };
      this.#calls.set(callId, bucket);
    }
    bucket.tokens = Math.min(this.#perSecond, bucket.tokens + ((now - bucket.atMs) * this.#perSecond) / 1000);
    bucket.atMs = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    bucket.dropped++;
    this.#droppedTotal++;
    return false;
  }

  /** Digits of `callId` dropped so far. */
  dropped(callId: string): number {
    return this.#calls.get(callId)?.dropped ?? 0;
  }

  /** Digits dropped over every call since start. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Calls with a bucket now. */
  get size(): number {
    return this.#calls.size;
  }

  /** Forgets a call (it ended); returns how many of its digits were dropped. */
  forget(callId: string): number {
    const dropped = this.dropped(callId);
    this.#calls.delete(callId);
    return dropped;
  }
}
