import { type IceConnection, type Message, type RTCDtlsTransport, parseMessage } from 'werift';
import type { Clock } from '../../shared/index.ts';

/**
 * How long a connected WebRTC leg lives without hearing its peer (RFC 7675 §5.1, docs/webrtc.md
 * "Failures"): browsers send a consent check (STUN binding request) every ~5 s and RTCP every few
 * seconds even on hold, so 30 s of silence means the peer is gone (tab closed, network lost).
 */
export const CONSENT_TIMEOUT_MS = 30_000;

/**
 * After a DTLS alert, how long authenticated traffic may take to show the alert was not the peer's
 * goodbye: werift also takes plaintext alerts, which anyone who knows the port can send, and a live
 * browser's next consent check comes within ~6 s.
 */
export const CLOSE_ALERT_CONFIRM_MS = 10_000;

/** Why consent was lost: silence for the consent timeout, or a DTLS close alert followed by silence. */
export type ConsentLoss = 'timeout' | 'dtls-closed';

/** Options of a ConsentWatch. */
export interface ConsentWatchOptions {
  clock: Clock;
  timeoutMs: number;
  /** Called once when consent is lost. */
  onLost: (why: ConsentLoss) => void;
}

/** A STUN request protocol of werift's ICE connection (the list is not in its public types). */
interface RequestSource {
  onRequestReceived: { subscribe(fn: (msg: Message, addr: readonly [string, number], data: Buffer) => void): unknown };
}

const BINDING = 1;

/**
 * Consent freshness from the ICE-lite side (RFC 7675; docs/webrtc.md "Failures"): the leg stays up
 * while the peer proves it is there — an authenticated consent check (a binding request on the
 * selected pair with our ICE credentials, RFC 8445 §7.3) or an SRTP/SRTCP packet that passed
 * authentication. {@link heard} is the hot-path hook for received RTP.
 */
export class ConsentWatch {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #onLost: (why: ConsentLoss) => void;
  readonly #connection: IceConnection;
  #lastHeard: number;
  #alertAt: number | undefined;
  #timer: ReturnType<Clock['setTimeout']> | undefined;
  #stopped = false;

  constructor(dtls: RTCDtlsTransport, options: ConsentWatchOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#onLost = options.onLost;
    this.#connection = dtls.iceTransport.connection;
    this.#lastHeard = this.#clock.now();
    const sources = (this.#connection as unknown as { protocols: readonly RequestSource[] }).protocols;
    for (const source of sources) {
      source.onRequestReceived.subscribe((msg, addr, data) => {
        if (this.#isConsentCheck(msg, addr, data)) this.heard();
      });
    }
    dtls.onRtcp.subscribe(() => this.heard());
    dtls.onStateChange.subscribe((state) => {
      if (state === 'closed') this.#closeAlert();
    });
    this.#arm();
  }

  /** Notes authenticated traffic from the peer. */
  heard(): void {
    this.#lastHeard = this.#clock.now();
    if (this.#alertAt !== undefined) {
      // The peer is still there: the alert was not its goodbye.
      this.#alertAt = undefined;
      this.#arm();
    }
  }

  /** Stops watching (our own close). */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #closeAlert(): void {
    if (this.#stopped || this.#alertAt !== undefined) return;
    this.#alertAt = this.#clock.now();
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#clock.clearTimeout(this.#timer);
    const now = this.#clock.now();
    let due = this.#lastHeard + this.#timeoutMs;
    if (this.#alertAt !== undefined) due = Math.min(due, this.#alertAt + CLOSE_ALERT_CONFIRM_MS);
    this.#timer = this.#clock.setTimeout(() => this.#check(), Math.max(0, due - now));
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (this.#alertAt !== undefined && now - this.#alertAt >= CLOSE_ALERT_CONFIRM_MS) return this.#lose('dtls-closed');
    if (now - this.#lastHeard >= this.#timeoutMs) return this.#lose('timeout');
    this.#arm();
  }

  #lose(why: ConsentLoss): void {
    this.stop();
    this.#onLost(why);
  }

  /** A binding request on the selected pair carrying our username and a valid MESSAGE-INTEGRITY. */
  #isConsentCheck(msg: Message, addr: readonly [string, number], data: Buffer): boolean {
    const connection = this.#connection;
    const pair = connection.nominated;
    if (!pair || msg.messageMethod !== BINDING) return false;
    const [address, port] = pair.remoteAddr;
    if (addr[0] !== address || addr[1] !== port) return false;
    const username = msg.getAttributeValue('USERNAME');
    if (typeof username !== 'string' || !username.startsWith(`${connection.localUsername}:`)) return false;
    if (!msg.attributesKeys.includes('MESSAGE-INTEGRITY')) return false;
    return parseMessage(data, Buffer.from(connection.localPassword, 'utf8')) !== undefined;
  }
}
