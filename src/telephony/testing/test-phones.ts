import dgram from 'node:dgram';
import {
  MediaClock,
  PortAllocator,
  bytesOf,
  parseRtpPacket,
  serializeRtpPacket,
  type RtpPacket,
  type TtsEngine,
} from '../../media/index.ts';
import { CallMedia, type CallMediaOptions } from '../media/call-media.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';

// Test support of the relay tests: plain UDP sockets standing in for phones, and MediaEndpoints answering them.

/** Marks a payload made by {@link tagged}: the first byte, then the phone id and a 16-bit index. */
const TAG = 0xa5;

/** A 160-byte G.711 payload that tells which phone sent it and as which packet; every byte value varies with the index. */
export function tagged(phoneId: number, index: number): Uint8Array {
  const payload = new Uint8Array(160);
  for (let i = 0; i < payload.length; i++) payload[i] = (index * 7 + i * 13) & 0xff;
  payload[0] = TAG;
  payload[1] = phoneId;
  payload[2] = index >> 8;
  payload[3] = index & 0xff;
  return payload;
}

/** The index of a packet a phone made with {@link tagged}, if `packet` is one of `phoneId`'s and bit-exact. */
export function taggedIndex(packet: RtpPacket, phoneId: number): number | undefined {
  const p = packet.payload;
  if (p.length !== 160 || p[0] !== TAG || p[1] !== phoneId) return undefined;
  const index = ((p[2] as number) << 8) | (p[3] as number);
  const expected = tagged(phoneId, index);
  for (let i = 4; i < p.length; i++) if (p[i] !== expected[i]) return undefined;
  return index;
}

/** A phone: one UDP socket that records every RTP packet it gets and can stream tagged audio. */
export interface TestPhone {
  readonly id: number;
  readonly port: number;
  /** Every RTP packet received, in arrival order. */
  readonly received: RtpPacket[];
  /** Sends a raw packet to `port` on loopback. */
  send(buf: Uint8Array, port: number): void;
  /** Streams tagged PCMU/PCMA packets to `port` every 20 ms (drift-corrected) until stopped; resolves the count sent. */
  stream(port: number, options?: { count?: number; payloadType?: number }): { stop(): void; done: Promise<number> };
  close(): void;
}

/** Opens a phone on an ephemeral loopback port. */
export async function openPhone(id: number): Promise<TestPhone> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: RtpPacket[] = [];
  socket.on('message', (buf) => {
    const bytes = bytesOf(buf);
    const type = bytes[1] as number;
    // RTCP (RFC 5761: packet types 200-204 in the second byte) is not what the phone hears.
    if (bytes.length >= 12 && (type < 200 || type > 204)) received.push(parseRtpPacket(bytes));
  });
  const ssrc = 0x10000 * id + 0x1234;
  let seq = 1000 * id;
  let index = 0;
  const send = (buf: Uint8Array, port: number): void => socket.send(buf, port, '127.0.0.1');
  return {
    id,
    port: socket.address().port,
    received,
    send,
    stream: (port, options = {}) => {
      let stopped = false;
      const start = Date.now();
      const done = (async () => {
        let sent = 0;
        while (!stopped && sent < (options.count ?? Infinity)) {
          index++;
          seq = (seq + 1) & 0xffff;
          const payload = tagged(id, index);
          send(
            serializeRtpPacket({
              payloadType: options.payloadType ?? 0,
              sequenceNumber: seq,
              timestamp: (index * 160) >>> 0,
              ssrc,
              marker: sent === 0,
              payload,
            }),
            port,
          );
          sent++;
          await new Promise((r) => setTimeout(r, Math.max(0, start + sent * 20 - Date.now())));
        }
        return sent;
      })();
      return { stop: () => void (stopped = true), done };
    },
    close: () => socket.close(),
  };
}

/** An SDP offer as a phone at `port` would send it: one G.711 codec and telephone-event 101. */
export function phoneOffer(port: number, codec: 'PCMU' | 'PCMA' = 'PCMU', direction = 'sendrecv'): string {
  const pt = codec === 'PCMU' ? 0 : 8;
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt} 101`,
    `a=rtpmap:${pt} ${codec}/8000`,
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

/** The endpoint of a leg whose phone is `phone` (callbin answered its offer). */
export async function answerPhone(
  phone: TestPhone,
  o: { allocator: PortAllocator; mediaClock: MediaClock },
  codec: 'PCMU' | 'PCMA' = 'PCMU',
): Promise<MediaEndpoint> {
  const { endpoint } = await MediaEndpoint.answer({
    ...o,
    address: '127.0.0.1',
    codecs: [codec],
    offerSdp: phoneOffer(phone.port, codec),
  });
  return endpoint;
}

/** Waits until `check()` holds (polling); throws `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Real time for audio to flow. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Phones, their legs (`a`, `b`, `c`… registered in CallMedia) and the media around them. */
export interface RelayLab {
  media: CallMedia;
  phones: TestPhone[];
  endpoints: MediaEndpoint[];
  /** Packets `listener` received since index `from` of its list that `speaker` tagged, as tag indexes. */
  heardFrom(listener: TestPhone, speaker: TestPhone, from?: number): number[];
  close(): Promise<void>;
}

/** One phone and leg per codec given, legs named `a`, `b`, `c`… in CallMedia (a fake TTS engine). */
export async function relayLab(
  codecs: readonly ('PCMU' | 'PCMA')[],
  options: CallMediaOptions = {},
): Promise<RelayLab> {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const allocator = new PortAllocator({ minPort: base, maxPort: base + 4 * codecs.length + 19 });
  const mediaClock = new MediaClock();
  const tts: TtsEngine = { synthesize: async () => new Int16Array(1600).fill(2000), voices: () => [] };
  const media = new CallMedia({ tts, relayRtp: true, ...options });
  const phones: TestPhone[] = [];
  const endpoints: MediaEndpoint[] = [];
  for (const [i, codec] of codecs.entries()) {
    const phone = await openPhone(i + 1);
    const endpoint = await answerPhone(phone, { allocator, mediaClock }, codec);
    media.register(String.fromCharCode(97 + i), endpoint);
    phones.push(phone);
    endpoints.push(endpoint);
  }
  return {
    media,
    phones,
    endpoints,
    heardFrom: (listener, speaker, from = 0) =>
      listener.received
        .slice(from)
        .map((p) => taggedIndex(p, speaker.id))
        .filter((i): i is number => i !== undefined),
    close: async () => {
      await media.close();
      mediaClock.close();
      for (const p of phones) p.close();
      if (allocator.inUse !== 0) throw new Error(`${allocator.inUse} port pairs still in use`);
    },
  };
}

/** Asserts that `packets` are one RTP stream: one SSRC, consecutive sequence numbers, timestamps always moving on. */
export function assertOneStream(packets: readonly RtpPacket[], what: string): void {
  for (let i = 1; i < packets.length; i++) {
    const p = packets[i] as RtpPacket;
    const q = packets[i - 1] as RtpPacket;
    const where = `${what}, packet ${i} of ${packets.length}`;
    if (p.ssrc !== q.ssrc) throw new Error(`${where}: SSRC ${q.ssrc} -> ${p.ssrc}`);
    if (p.sequenceNumber !== ((q.sequenceNumber + 1) & 0xffff))
      throw new Error(`${where}: sequence ${q.sequenceNumber} -> ${p.sequenceNumber}`);
    if (p.payloadType !== 101 && q.payloadType !== 101 && ((p.timestamp - q.timestamp) | 0) <= 0) {
      throw new Error(`${where}: timestamp ${q.timestamp} -> ${p.timestamp}`);
    }
  }
}
