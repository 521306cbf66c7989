import { g711Codec, type G711Codec, type G711Name } from '../media/index.ts';
import type { NegotiatedCodec } from '../sdp/index.ts';

/**
 * The G.711 codec a leg's RTP session uses, switchable after creation: an offer allocates the
 * session before the answer picks the codec, and a re-INVITE may change it. It also carries the
 * payload type the SDP agreed on, which a peer may number differently from the static one.
 */
export class NegotiatedG711Codec implements G711Codec {
  #codec: G711Codec;
  #payloadType: number;

  constructor(name: G711Name) {
    this.#codec = g711Codec(name);
    this.#payloadType = this.#codec.payloadType;
  }

  /** SDP name of the current codec. */
  get name(): G711Name {
    return this.#codec.name;
  }

  /** RTP payload type of the current codec. */
  get payloadType(): number {
    return this.#payloadType;
  }

  /** Switches to what an offer/answer exchange agreed; throws ValidationError for a non-G.711 codec. */
  apply(negotiated: NegotiatedCodec): void {
    this.#codec = g711Codec(negotiated.name);
    this.#payloadType = negotiated.pt;
  }

  /** Encodes with the current codec. */
  encode(pcm: Int16Array, out: Uint8Array): void {
    this.#codec.encode(pcm, out);
  }

  /** Decodes with the current codec. */
  decode(bytes: Uint8Array, out: Int16Array): void {
    this.#codec.decode(bytes, out);
  }
}
