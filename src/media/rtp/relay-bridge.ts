import { InvalidStateError, ValidationError } from '../../shared/index.ts';
import { readMarker, readPayloadType, readSsrc, readTimestamp } from './rtp-packet.ts';
import type { RtpSession } from './rtp-session.ts';

/**
 * One direction of a relay: packets received on `from` go out on `to` with `to`'s SSRC, sequence
 * and a timestamp mapped onto `to`'s timeline, so the far end sees one continuous stream even
 * when the source restarts (new SSRC) or the leg carried locally generated audio in between (its
 * own audio fills in while nothing is relayed, see AudioSender.setRelayed).
 */
export class RelayDirection {
  readonly #from: RtpSession;
  readonly #to: RtpSession;
  #enabled = true;
  #inSsrc = -1;
  #toOwnPackets = -1;
  #timestampOffset = 0;
  #forwarded = 0;
  #dropped = 0;

  constructor(from: RtpSession, to: RtpSession) {
    this.#from = from;
    this.#to = to;
  }

  /** False while muted or held: packets are counted and dropped. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Packets sent on. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** Packets dropped (muted, held, or of a payload type the other leg did not negotiate). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Lets packets through (true) or drops them (false); allocates nothing. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** The forwarder installed on `from`. */
  readonly forward = (buf: Uint8Array): void => {
    if (!this.#enabled) {
      this.#dropped++;
      return;
    }
    const pt = readPayloadType(buf);
    let outPt: number;
    if (pt === this.#from.codec.payloadType) outPt = this.#to.codec.payloadType;
    else if (pt === this.#from.telephoneEventPt) outPt = this.#to.telephoneEventPt;
    else {
      this.#dropped++;
      return;
    }
    const ssrc = readSsrc(buf);
    const inTs = readTimestamp(buf);
    let marker = readMarker(buf);
    if (ssrc !== this.#inSsrc || this.#to.ownPackets !== this.#toOwnPackets) {
      this.#inSsrc = ssrc;
      this.#toOwnPackets = this.#to.ownPackets;
      this.#timestampOffset = (this.#to.nextTimestamp - inTs) >>> 0;
      marker = true;
    }
    const outTs = (inTs + this.#timestampOffset) >>> 0;
    this.#to.forwardRaw(buf, outPt, outTs, marker);
    // Keep the leg's own timeline ahead of relayed audio, so a later playback continues from here.
    this.#to.advanceTimestampTo((outTs + this.#to.codec.frameTicks) >>> 0);
    this.#forwarded++;
  };
}

/** Which side of a bridge a call names: the first or second session given to the constructor. */
export type BridgeSide = 'a' | 'b';

/**
 * Joins two RtpSessions with the same codec (two G.711 legs of one law, or two Opus legs) by
 * forwarding packets with only the header rewritten (never decoded): payload type, sequence,
 * timestamp and SSRC. Mute drops what one side says; hold drops both directions.
 */
export class RelayBridge {
  readonly a: RtpSession;
  readonly b: RtpSession;
  readonly aToB: RelayDirection;
  readonly bToA: RelayDirection;
  #closed = false;

  constructor(a: RtpSession, b: RtpSession) {
    if (a === b) throw new InvalidStateError('a relay needs two different sessions', 'RELAY_SAME_SESSION');
    if (a.codec.name !== b.codec.name) {
      throw ValidationError.field(
        'codec',
        'CODEC_MISMATCH',
        `cannot relay ${a.codec.name} to ${b.codec.name} without transcoding`,
      );
    }
    this.a = a;
    this.b = b;
    this.aToB = new RelayDirection(a, b);
    this.bToA = new RelayDirection(b, a);
    a.setForwarder(this.aToB.forward);
    b.setForwarder(this.bToA.forward);
  }

  /** Mutes (drops) or unmutes what `side` says. */
  setMuted(side: BridgeSide, muted: boolean): void {
    this.#assertOpen();
    (side === 'a' ? this.aToB : this.bToA).setEnabled(!muted);
  }

  /** Holds (drops both directions) or resumes. */
  setHeld(held: boolean): void {
    this.#assertOpen();
    this.aToB.setEnabled(!held);
    this.bToA.setEnabled(!held);
  }

  /** Detaches from both sessions (they stay open; their owners close them); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.a.closed) this.a.setForwarder(undefined);
    if (!this.b.closed) this.b.setForwarder(undefined);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('relay bridge is closed', 'RELAY_CLOSED');
  }
}
