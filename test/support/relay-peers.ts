import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import {
  MULAW_DECODE_TABLE,
  MULAW_ENCODE_TABLE,
  parseRtpPacket,
  serializeRtpPacket,
  tone,
} from '../../src/media/index.ts';
import { parseMessage } from '../../src/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message/index.ts';

/**
 * µ-law 0x7F is "negative zero": it decodes to 0, which encodes back as 0xFF. A packet that still
 * carries it on arrival was forwarded untouched, never decoded and re-encoded (docs/media.md "Bridging").
 */
const NEGATIVE_ZERO = 0x7f;
/** Every party's 20 ms payload, by id, so any peer can tell whose audio reached it. */
const PAYLOADS = new Map<number, Uint8Array>();
const bind = (socket: Socket): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });

/** What a party received in a window: bit-exact packets per sending party, re-encoded copies, and the rest. */
export interface Heard {
  exact: Map<number, number>;
  /** Packets with a party's tone whose bytes were not all kept (decoded and re-encoded on the way). */
  reencoded: Map<number, number>;
  /** Packets of nobody's tone (silence, filler, music), and how many of them were audible. */
  other: number;
  otherAudible: number;
}

/**
 * One party's RTP on a UDP socket the test owns: it sends a PCMU tone of its own frequency, tagged
 * with 0x7F and its id in the first two samples (both near silence), every 20 ms to where its SDP
 * peer said, whatever the session direction, and classifies each packet it receives.
 */
export class RtpParty {
  readonly id: number;
  readonly hz: number;
  readonly #socket: Socket;
  readonly #log: { from: number; exact: boolean; audible: boolean }[] = [];
  /** Breaks in the one stream a leg should see (docs/media.md "Bridging"): a new SSRC, a sequence gap, a timestamp going back. */
  readonly streamFaults: string[] = [];
  #last: { ssrc: number; seq: number; ts: number } | undefined;
  #remote: { address: string; port: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #quiet = 0;

  private constructor(id: number, hz: number, socket: Socket) {
    this.id = id;
    this.hz = hz;
    this.#socket = socket;
    const payload = new Uint8Array(160);
    tone([hz], 20, { fadeMs: 0 }).forEach((s, i) => (payload[i] = MULAW_ENCODE_TABLE[s & 0xffff] ?? 0xff));
    payload[0] = NEGATIVE_ZERO;
    payload[1] = 0x70 | id;
    PAYLOADS.set(id, payload);
    socket.on('message', (msg) => this.#onPacket(msg));
  }

  /** Binds a party on 127.0.0.1; `hz` must fit a whole number of periods in 20 ms. */
  static async open(id: number, hz: number): Promise<RtpParty> {
    const socket = createSocket('udp4');
    await bind(socket);
    return new RtpParty(id, hz, socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Where the packets go (from the peer's SDP); the first call starts sending. */
  setRemote(remote: { address: string; port: number }): void {
    this.#remote = remote;
    if (this.#timer) return;
    const header = {
      payloadType: 0,
      ssrc: randomBytes(4).readUInt32BE(0),
      payload: PAYLOADS.get(this.id) as Uint8Array,
    };
    let [seq, frames] = [0, 0];
    this.#timer = setInterval(() => {
      const timestamp = (frames++ * 160) >>> 0;
      if (this.#quiet > 0) return void (this.#quiet -= 1);
      const to = this.#remote as { address: string; port: number };
      this.#socket.send(
        serializeRtpPacket({ ...header, sequenceNumber: seq++ & 0xffff, timestamp }),
        to.port,
        to.address,
      );
    }, 20);
  }

  /** Sends nothing for the next `frames` 20 ms frames, its timestamps going on (a pause in speech, RFC 3551 §4.1). */
  fallSilent(frames: number): void {
    this.#quiet = frames;
  }

  /** What arrived during the next `ms`. */
  async during(ms: number): Promise<Heard> {
    return this.until(() => false, ms);
  }

  /** What arrived from now until `enough` holds for it, or `timeoutMs` passed. */
  async until(enough: (heard: Heard) => boolean, timeoutMs = 5000): Promise<Heard> {
    const from = this.#log.length;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const heard: Heard = { exact: new Map(), reencoded: new Map(), other: 0, otherAudible: 0 };
      for (const p of this.#log.slice(from)) {
        if (p.from < 0) {
          heard.other += 1;
          if (p.audible) heard.otherAudible += 1;
        } else {
          const map = p.exact ? heard.exact : heard.reencoded;
          map.set(p.from, (map.get(p.from) ?? 0) + 1);
        }
      }
      if (enough(heard) || Date.now() >= deadline) return heard;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #checkStream(ssrc: number, seq: number, ts: number): void {
    const last = this.#last;
    this.#last = { ssrc, seq, ts };
    if (!last) return;
    if (ssrc !== last.ssrc) this.streamFaults.push(`SSRC ${last.ssrc} -> ${ssrc}`);
    else if (seq !== ((last.seq + 1) & 0xffff)) this.streamFaults.push(`sequence ${last.seq} -> ${seq}`);
    else if (((ts - last.ts) | 0) < 0) this.streamFaults.push(`timestamp ${last.ts} -> ${ts}`);
  }

  #onPacket(msg: Buffer): void {
    let payload: Uint8Array;
    try {
      const packet = parseRtpPacket(msg);
      if (packet.payloadType !== 0 || packet.payload.length !== 160) return;
      this.#checkStream(packet.ssrc, packet.sequenceNumber, packet.timestamp);
      payload = packet.payload;
    } catch {
      return; // RTCP
    }
    for (const [id, mine] of PAYLOADS) {
      // Samples 2.. are the tone; G.711 decode/encode keeps them, so they name the sender either way.
      if (!payload.subarray(2).every((b, i) => b === mine[i + 2])) continue;
      this.#log.push({ from: id, exact: payload.every((b, i) => b === mine[i]), audible: true });
      return;
    }
    let peak = 0;
    for (const b of payload) peak = Math.max(peak, Math.abs(MULAW_DECODE_TABLE[b] ?? 0));
    this.#log.push({ from: -1, exact: false, audible: peak > 1000 });
  }
}

/** An SDP of one PCMU stream (RFC 4566) on `port`, direction `direction`. */
function sdp(port: number, direction: string, version: number): string {
  const media = `m=audio ${port} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=${direction}`;
  return `v=0\no=- 4242 ${version} IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n${media}\n`.replace(/\n/g, '\r\n');
}

/** The connection address, port and direction of the first audio stream of an SDP. */
function readSdp(body: string): { address: string; port: number; direction: string } {
  const address = /^c=IN IP4 (\S+)/m.exec(body)?.[1] ?? '0.0.0.0';
  const port = Number(/^m=audio (\d+)/m.exec(body)?.[1] ?? 0);
  const direction = /^a=(sendrecv|sendonly|recvonly|inactive)/m.exec(body)?.[1] ?? 'sendrecv';
  return { address, port, direction };
}

/** RFC 3264 §6.1: the answer's direction for an offered one. */
const ANSWER: Record<string, string> = { sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

/** A SIP message (RFC 3261 §7) from its start line, Via values, the dialog headers and an SDP body. */
function sipMessage(
  first: string,
  via: readonly string[],
  d: RequestLine & { method: string; port: number },
  body = '',
): string {
  return [
    first,
    ...via.map((v) => `Via: ${v}`),
    ...(first.startsWith('SIP/') ? [] : ['Max-Forwards: 70']),
    `From: ${d.from}`,
    `To: ${d.to}`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${d.cseq} ${d.method}`,
    `Contact: <sip:peer@127.0.0.1:${d.port}>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const uriOf = (nameAddr: string | undefined): string | undefined => /<([^>]+)>/.exec(nameAddr ?? '')?.[1];

/** One dialog of the raw UA with its party. */
export interface RawDialog {
  callId: string;
  /** The dialled user (incoming) or the number called (outgoing). */
  user: string;
  party: RtpParty;
  /** Directions offered by each re-INVITE received, in order. */
  reinvites: string[];
  byeReceived: boolean;
}

/** A dialog the raw UA placed. */
export interface RawCall extends RawDialog {
  /** Sends BYE; resolves with the response status. */
  bye(): Promise<number>;
}

type RequestLine = { callId: string; from: string; to: string; cseq: number };

/**
 * A SIP UA written out by hand on a UDP socket (RFC 3261): calls out with INVITE/ACK, answers an
 * incoming INVITE 200 at once with a party's SDP, a re-INVITE per RFC 3264 §8.4 (sendonly →
 * recvonly), BYE and anything else 200, and repeats its answer to a retransmitted request.
 */
export class RawSipUa {
  readonly dialogs: RawDialog[] = [];
  readonly #socket: Socket;
  readonly #serverPort: number;
  readonly #partyFor: (user: string) => RtpParty | undefined;
  readonly #answered = new Map<string, string>();
  readonly #waiters = new Map<string, (res: SipResponse) => void>();
  #version = 1;

  private constructor(socket: Socket, serverPort: number, partyFor: (user: string) => RtpParty | undefined) {
    this.#socket = socket;
    this.#serverPort = serverPort;
    this.#partyFor = partyFor;
    socket.on('message', (data, rinfo) => {
      let msg: SipRequest | SipResponse;
      try {
        msg = parseMessage(data);
      } catch {
        return;
      }
      if (msg.kind === 'request') this.#onRequest(msg, rinfo);
      else this.#waiters.get(`${msg.headers.get('call-id')}|${msg.headers.get('cseq')}`)?.(msg);
    });
  }

  /** A UA talking to callbin at 127.0.0.1:`serverPort`; `partyFor` gives the party of an incoming call by dialled user. */
  static async open(serverPort: number, partyFor: (user: string) => RtpParty | undefined = () => undefined) {
    const socket = createSocket('udp4');
    await bind(socket);
    return new RawSipUa(socket, serverPort, partyFor);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** INVITEs `number` at callbin from `fromUser`; resolves with the dialog once 200 came and was ACKed. */
  async call(number: string, fromUser: string, party: RtpParty): Promise<RawCall> {
    const callId = randomBytes(8).toString('hex');
    const from = `<sip:${fromUser}@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`;
    const uri = `sip:${number}@127.0.0.1:${this.#serverPort}`;
    const offer = sdp(party.port, 'sendrecv', this.#version++);
    const res = await this.#request('INVITE', uri, { callId, from, to: `<sip:${number}@127.0.0.1>`, cseq: 1 }, offer);
    if (res.status !== 200) throw new Error(`INVITE ${number}: ${res.status} ${res.reason}`);
    const to = res.headers.get('to') ?? '';
    const target = uriOf(res.headers.get('contact')) ?? uri;
    this.#send(this.#requestText('ACK', target, { callId, from, to, cseq: 1 }));
    party.setRemote(readSdp(res.body.toString()));
    let cseq = 2;
    const bye = async () => (await this.#request('BYE', target, { callId, from, to, cseq: cseq++ })).status;
    const dialog: RawCall = { callId, user: number, party, reinvites: [], byeReceived: false, bye };
    this.dialogs.push(dialog);
    return dialog;
  }

  /** Waits for the incoming dialog of `user`. */
  async dialogOf(user: string, timeoutMs = 10_000): Promise<RawDialog> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.dialogs.find((d) => d.user === user);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no incoming call for ${user} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.#socket.close();
  }

  #requestText(method: string, uri: string, d: RequestLine, body = ''): string {
    const via = `SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-${randomBytes(8).toString('hex')};rport`;
    return sipMessage(`${method} ${uri} SIP/2.0`, [via], { ...d, method, port: this.port }, body);
  }

  /** Sends a request; resolves with its final response (loopback: no retransmission). */
  #request(method: string, uri: string, d: RequestLine, body = ''): Promise<SipResponse> {
    const key = `${d.callId}|${d.cseq} ${method}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final response to ${method}`)), 10_000);
      this.#waiters.set(key, (res) => {
        if (res.status < 200) return;
        clearTimeout(timer);
        this.#waiters.delete(key);
        resolve(res);
      });
      this.#send(this.#requestText(method, uri, d, body));
    });
  }

  #onRequest(req: SipRequest, rinfo: RemoteInfo): void {
    if (req.method === 'ACK') return;
    const callId = req.headers.get('call-id') ?? '';
    const key = `${callId}|${req.headers.get('cseq')}`;
    const again = this.#answered.get(key);
    if (again) return void this.#socket.send(again, rinfo.port, rinfo.address);
    const toHeader = req.headers.get('to') ?? '';
    const to = /;tag=/.test(toHeader) ? toHeader : `${toHeader};tag=${randomBytes(4).toString('hex')}`;
    const dialog = this.dialogs.find((d) => d.callId === callId);
    if (req.method === 'BYE' && dialog) dialog.byeReceived = true;
    if (req.method !== 'INVITE') return this.#respond(key, req, rinfo, '200 OK', to);
    const offer = readSdp(req.body.toString());
    const user = /sip:([^@;>]+)@/.exec(req.uri)?.[1] ?? '';
    const party = dialog ? dialog.party : this.#partyFor(user);
    if (!party) return this.#respond(key, req, rinfo, '404 Not Found', to);
    if (dialog) dialog.reinvites.push(offer.direction);
    else this.dialogs.push({ callId, user, party, reinvites: [], byeReceived: false });
    // The party goes on sending whatever the offer's direction: what reaches the other side is callbin's choice.
    party.setRemote(offer);
    const answer = sdp(party.port, ANSWER[offer.direction] ?? 'sendrecv', this.#version++);
    this.#respond(key, req, rinfo, '200 OK', to, answer);
  }

  #respond(key: string, req: SipRequest, rinfo: RemoteInfo, status: string, to: string, body = ''): void {
    const [seq, method] = (req.headers.get('cseq') ?? '').split(/\s+/);
    const d = { callId: req.headers.get('call-id') ?? '', from: req.headers.get('from') ?? '', to, cseq: Number(seq) };
    const text = sipMessage(
      `SIP/2.0 ${status}`,
      req.headers.getAll('via'),
      { ...d, method: method ?? '', port: this.port },
      body,
    );
    this.#answered.set(key, text);
    this.#socket.send(text, rinfo.port, rinfo.address);
  }

  #send(text: string): void {
    this.#socket.send(text, this.#serverPort, '127.0.0.1');
  }
}
