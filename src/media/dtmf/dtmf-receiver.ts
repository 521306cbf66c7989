import { RTP_CLOCK_RATE_HZ } from './rtp-clock.ts';
import { digitOfEvent, readTelephoneEvent, type DtmfEvent } from './telephone-event.ts';

/**
 * Turns a stream of RFC 4733 telephone-event packets into one DtmfEvent per key press: the many
 * updates and the retransmitted end packets of an event share its RTP timestamp (§2.5.1.3), so an
 * event is reported once, when its first end packet arrives, or when a new event starts after an
 * event whose end packets were all lost.
 */
export class DtmfReceiver {
  #currentTimestamp = -1;
  #currentEvent = -1;
  #currentDuration = 0;
  #clockRate = RTP_CLOCK_RATE_HZ;
  #reportedTimestamp = -1;
  #reportedEvent = -1;

  /**
   * Feeds one packet, whose durations count ticks of `clockRate` (the audio codec's, RFC 4733 §2.1:
   * 48 kHz beside Opus); returns the key press it completes, if any.
   */
  push(payload: Uint8Array, timestamp: number, clockRate = RTP_CLOCK_RATE_HZ): DtmfEvent | undefined {
    const te = readTelephoneEvent(payload);
    if (!te || digitOfEvent(te.event) === undefined) return undefined;
    if (timestamp === this.#reportedTimestamp && te.event === this.#reportedEvent) return undefined;
    let completed: DtmfEvent | undefined;
    if (this.#currentTimestamp !== timestamp || this.#currentEvent !== te.event) {
      completed = this.flush();
      this.#currentTimestamp = timestamp;
      this.#currentEvent = te.event;
      this.#currentDuration = 0;
      this.#clockRate = clockRate;
    }
    this.#currentDuration = Math.max(this.#currentDuration, te.duration);
    if (te.end) return this.flush() ?? completed;
    return completed;
  }

  /** Reports the event in progress (its end packets never came), if any. */
  flush(): DtmfEvent | undefined {
    if (this.#currentTimestamp < 0) return undefined;
    const digit = digitOfEvent(this.#currentEvent);
    const event =
      digit === undefined
        ? undefined
        : { digit, durationMs: Math.round((this.#currentDuration * 1000) / this.#clockRate) };
    this.#reportedTimestamp = this.#currentTimestamp;
    this.#reportedEvent = this.#currentEvent;
    this.#currentTimestamp = -1;
    this.#currentEvent = -1;
    return event;
  }
}
