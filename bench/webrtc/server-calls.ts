/**
 * The server side of one benchmark step: N calls, each a front leg (a WebRTC leg answering a load
 * browser's offer, or a plain RTP leg for the baseline) bridged to a back leg, set up with
 * callbin's MediaEndpoint as a call does (docs/webrtc.md "The WebRTC leg"):
 * - `transcode`: the back leg is plain RTP with PCMU; each leg plays the other's decoded audio
 *   (`a.play(b.audio)`, the decoded bridge of a call whose legs' codecs differ, docs/media.md
 *   "Bridging"), so every frame is decoded and re-encoded in both directions.
 * - `relay`: the back leg is of the front's kind and codec; MediaEndpoint.relayBridge rewrites
 *   headers only, and each leg's own audio pauses while relayed packets come (`relayFrom`).
 */
import { MediaEndpoint } from '../../src/endpoint/index.ts';
import type { MediaClock, PortAllocator, RelayBridge } from '../../src/media/index.ts';
import type { LoadClient } from './load-client.ts';
import { CODEC_RTP } from './load-phones.ts';
import type { PhoneCodec, PhoneSpec } from './protocol.ts';

export type BridgeKind = 'transcode' | 'relay';
export type FrontTransport = 'webrtc' | 'rtp';

export interface CallSetOptions {
  kind: BridgeKind;
  front: FrontTransport;
  codec: PhoneCodec;
  calls: number;
  allocator: PortAllocator;
  mediaClock: MediaClock;
  load: LoadClient;
}

/** Packet counters summed over the server's legs. */
export interface LegCounters {
  received: number;
  lost: number;
  sent: number;
}

const LOOPBACK = '127.0.0.1';
const BATCH = 10;
const CONNECT_TIMEOUT_MS = 60_000;

/** The load phone's answer to a plain RTP leg's offer (RFC 3264 §6), one codec. */
function rtpAnswer(port: number, codec: PhoneCodec): string {
  const { pt } = CODEC_RTP[codec];
  const rtpmap = codec === 'opus' ? 'opus/48000/2' : 'PCMU/8000';
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} ${rtpmap}`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** N bridged calls; `roles` tells the load which of its phones send and which echo. */
export class CallSet {
  readonly phones: PhoneSpec[];
  readonly roles: ('send' | 'echo')[];
  readonly #legs: MediaEndpoint[] = [];
  readonly #bridges: RelayBridge[] = [];
  readonly #load: LoadClient;

  private constructor(options: CallSetOptions) {
    const n = options.calls;
    const front: PhoneSpec = { transport: options.front, codec: options.codec };
    const back: PhoneSpec = options.kind === 'transcode' ? { transport: 'rtp', codec: 'PCMU' } : front;
    this.phones = [...Array<PhoneSpec>(n).fill(front), ...Array<PhoneSpec>(n).fill(back)];
    this.roles = [...Array<'send'>(n).fill('send'), ...Array<'echo'>(n).fill('echo')];
    this.#load = options.load;
  }

  /** Opens the load's phones and the server's legs, bridges them and waits until every WebRTC leg is connected. */
  static async open(options: CallSetOptions): Promise<CallSet> {
    const set = new CallSet(options);
    try {
      await set.#open(options);
    } catch (err) {
      await set.close();
      throw err;
    }
    return set;
  }

  async #open(options: CallSetOptions): Promise<void> {
    const { allocator, mediaClock } = options;
    const opened = await this.#load.open(this.phones);
    const remotes: { answerSdp?: string; port?: number }[] = [];
    for (let i = 0; i < this.phones.length; i += BATCH) {
      await Promise.all(
        this.phones.slice(i, i + BATCH).map(async (spec, k) => {
          const at = i + k;
          const base = { allocator, address: LOOPBACK, mediaClock, codecs: [spec.codec] };
          const phone = opened.phones[at] ?? {};
          if (spec.transport === 'webrtc') {
            const { endpoint, answerSdp } = await MediaEndpoint.answer({ ...base, offerSdp: phone.offerSdp ?? '' });
            this.#legs[at] = endpoint;
            remotes[at] = { answerSdp };
          } else {
            const { endpoint } = await MediaEndpoint.offer(base);
            this.#legs[at] = endpoint;
            endpoint.applyAnswer(rtpAnswer(phone.port ?? 0, spec.codec));
            remotes[at] = { port: endpoint.localPort };
          }
        }),
      );
    }
    const n = options.calls;
    for (let i = 0; i < n; i++) {
      const a = this.#legs[i]!;
      const b = this.#legs[n + i]!;
      if (options.kind === 'transcode') {
        void a.play(b.audio);
        void b.play(a.audio);
      } else {
        this.#bridges.push(MediaEndpoint.relayBridge(a, b));
        a.relayFrom(b);
        b.relayFrom(a);
      }
    }
    await this.#load.connect(remotes);
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    while (this.#legs.some((l) => l.webrtcState !== undefined && l.webrtcState !== 'connected')) {
      if (Date.now() > deadline) throw new Error('WebRTC legs did not connect in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Packets received, lost (sequence gaps) and sent by the server's legs so far. */
  counters(): LegCounters {
    const c: LegCounters = { received: 0, lost: 0, sent: 0 };
    for (const leg of this.#legs) {
      const s = leg.stats();
      c.received += s.packets_received;
      c.lost += s.lost;
      c.sent += s.packets_sent;
    }
    return c;
  }

  /** Ends the bridges, closes the legs (ports released) and the load's phones. */
  async close(): Promise<void> {
    for (const b of this.#bridges) b.close();
    await Promise.all(this.#legs.filter(Boolean).map((l) => l.close()));
    await this.#load.close();
  }
}
