import { InvalidStateError, type Clock, type TimerHandle } from '../../shared/index.ts';
import { RTP_CLOCK_RATE_HZ } from './rtp-clock.ts';
import { eventOfDigit, writeTelephoneEvent } from './telephone-event.ts';

/** What a DtmfSender needs from the RTP stream it sends on (an RtpSession implements it). */
export interface TelephoneEventTransport {
  /** RTP timestamp the next media frame would carry. */
  readonly nextTimestamp: number;
  /** Sends one telephone-event packet with its own sequence number. */
  sendTelephoneEvent(payload: Uint8Array, marker: boolean, timestamp: number): void;
  /** Moves the stream's next timestamp forward to at least `timestamp` (after an event). */
  advanceTimestampTo(timestamp: number): void;
  /** Tells audio senders to stay quiet while an event is being sent (RFC 4733 §2.5.1.2). */
  setEventActive(active: boolean): void;
  /**
   * The RTP clock of the events: the audio codec's (RFC 4733 §2.1), 48 kHz beside Opus; 8 kHz when
   * absent.
   */
  readonly eventClockRate?: number;
}

/** Timing of generated digits. */
export interface DtmfSendOptions {
  /** Tone length of each digit; default 100 ms. */
  durationMs?: number;
  /** Pause between digits; default 60 ms. */
  gapMs?: number;
  /** Update interval; default 50 ms (RFC 4733 §2.5.1.2 suggests 50 ms). */
  intervalMs?: number;
  /** Volume in -dBm0 (0–63); default 10. */
  volume?: number;
}

const END_PACKET_COPIES = 3;

/**
 * Generates RFC 4733 telephone-events: per digit one timestamp, a first packet with the marker
 * bit, updates with growing duration every interval, and the end packet sent three times (§2.5.1.4).
 */
export class DtmfSender {
  readonly #transport: TelephoneEventTransport;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #cancel: (() => void) | undefined;
  #closed = false;

  constructor(transport: TelephoneEventTransport, clock: Clock) {
    this.#transport = transport;
    this.#clock = clock;
  }

  /** Sends `digits` one after another; resolves when the last end packet is out. */
  async send(digits: string, options: DtmfSendOptions = {}): Promise<void> {
    if (this.#closed) throw new InvalidStateError('dtmf sender closed');
    if (this.#cancel) throw new InvalidStateError('dtmf sender busy', 'DTMF_BUSY');
    const codes = [...digits].map(eventOfDigit);
    const durationMs = options.durationMs ?? 100;
    const gapMs = options.gapMs ?? 60;
    for (let i = 0; i < codes.length; i++) {
      await this.#sendEvent(codes[i] as number, durationMs, options.intervalMs ?? 50, options.volume ?? 10);
      if (i < codes.length - 1) await this.#sleep(gapMs);
    }
  }

  /** Stops any digit in progress (pending `send` rejects) and refuses further sends; idempotent. */
  close(): void {
    this.#closed = true;
    this.#clock.clearTimeout(this.#timer);
    this.#cancel?.();
  }

  async #sendEvent(code: number, durationMs: number, intervalMs: number, volume: number): Promise<void> {
    const t = this.#transport;
    const timestamp = t.nextTimestamp;
    const rate = t.eventClockRate ?? RTP_CLOCK_RATE_HZ;
    const totalSamples = Math.round((durationMs * rate) / 1000);
    const stepSamples = Math.round((intervalMs * rate) / 1000);
    t.setEventActive(true);
    try {
      for (let duration = 0; duration < totalSamples; duration += stepSamples) {
        t.sendTelephoneEvent(
          writeTelephoneEvent({ event: code, end: false, volume, duration }),
          duration === 0,
          timestamp,
        );
        await this.#sleep(intervalMs);
      }
      const end = writeTelephoneEvent({ event: code, end: true, volume, duration: totalSamples });
      for (let i = 0; i < END_PACKET_COPIES; i++) t.sendTelephoneEvent(end, false, timestamp);
    } finally {
      t.setEventActive(false);
    }
    t.advanceTimestampTo((timestamp + totalSamples) >>> 0);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#cancel = () => {
        this.#cancel = undefined;
        reject(new InvalidStateError('dtmf sending cancelled', 'DTMF_CANCELLED'));
      };
      this.#timer = this.#clock.setTimeout(() => {
        this.#cancel = undefined;
        this.#timer = undefined;
        resolve();
      }, ms);
    });
  }
}
