import type { ListenTrack } from '../../calls/index.ts';
import { encodeMulaw, serializeRtpPacket } from '../../media/index.ts';

/** A listener of one live call's audio, as PCM frames (CallService.mediaListener). */
export type PcmListener = (track: ListenTrack, onFrame: (pcm: Int16Array) => void, onEnd: () => void) => () => void;

/** How the frames of a listening socket are framed (docs/api.md "Media streams"). */
export interface TapFraming {
  encapsulation: 'rtp' | 'sln';
  track: ListenTrack;
}

const FRAME_SAMPLES = 160;
/** PCMU (RFC 3551 §6). */
const PCMU_PAYLOAD_TYPE = 0;

/**
 * `GET /calls/{id}/media_stream` (VoIPBIN's read-only listening socket): the call's audio of one
 * track, framed per 20 ms as an RTP packet of PCMU (`rtp`: sequence +1, timestamp +160, one random
 * SSRC per listener) or as 320 bytes of 16-bit little-endian PCM at 8 kHz (`sln`).
 */
export class CallMediaTap {
  readonly #listenerOf: (callId: string) => PcmListener | undefined;

  constructor(listenerOf: (callId: string) => PcmListener | undefined) {
    this.#listenerOf = listenerOf;
  }

  /** Starts framing the call's audio into `onFrame`; undefined when the call has no live leg on this node. */
  listen(
    callId: string,
    _customerId: string,
    options: TapFraming,
    onFrame: (bytes: Buffer) => void,
    onEnd: () => void,
  ): (() => void) | undefined {
    const listener = this.#listenerOf(callId);
    if (!listener) return undefined;
    const frame = options.encapsulation === 'rtp' ? rtpFramer() : slnFramer();
    return listener(options.track, (pcm) => onFrame(frame(pcm)), onEnd);
  }
}

function rtpFramer(): (pcm: Int16Array) => Buffer {
  const payload = new Uint8Array(FRAME_SAMPLES);
  const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
  let sequenceNumber = (Math.random() * 0x10000) >>> 0;
  let timestamp = (Math.random() * 0x1_0000_0000) >>> 0;
  return (pcm) => {
    encodeMulaw(pcm.subarray(0, FRAME_SAMPLES), payload);
    const packet = serializeRtpPacket({ payloadType: PCMU_PAYLOAD_TYPE, sequenceNumber, timestamp, ssrc, payload });
    sequenceNumber = (sequenceNumber + 1) & 0xffff;
    timestamp = (timestamp + FRAME_SAMPLES) >>> 0;
    return Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  };
}

function slnFramer(): (pcm: Int16Array) => Buffer {
  const bytes = Buffer.alloc(FRAME_SAMPLES * 2);
  return (pcm) => {
    for (let i = 0; i < FRAME_SAMPLES; i++) bytes.writeInt16LE(pcm[i] ?? 0, i * 2);
    return bytes;
  };
}
