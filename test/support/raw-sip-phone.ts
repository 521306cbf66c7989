import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { digestAuthorization } from '../../src/sip/index.ts';
import type { DigestAlgorithm } from '../../src/sip/index.ts';
import { parseMessage } from '../../src/sip/message/index.ts';
import type { SipMessage, SipResponse } from '../../src/sip/message/index.ts';

/** What one request carries beyond the defaults. */
export interface RawRequest {
  method: 'REGISTER' | 'INVITE';
  /** The account user in From (and To for REGISTER). */
  user: string;
  /** Host of From/To (the realm follows it): 127.0.0.1 by default. */
  domain?: string;
  /** `Authorization` (REGISTER) or `Proxy-Authorization` (INVITE) value. */
  authorization?: string;
  callId?: string;
  expires?: number;
}

/**
 * A SIP phone on a raw UDP socket bound to one loopback address (127.0.0.x): it builds REGISTER
 * and INVITE requests by hand, answers challenges with the project's digest client and ACKs every
 * non-2xx final response, so a test controls each header an attacker or a phone would send.
 */
export class RawSipPhone {
  readonly address: string;
  readonly #socket: Socket;
  readonly #server: { host: string; port: number };
  #cseq = 1;
  #waiters = new Map<string, (res: SipResponse) => void>();

  private constructor(socket: Socket, address: string, server: { host: string; port: number }) {
    this.#socket = socket;
    this.address = address;
    this.#server = server;
    socket.on('message', (data) => {
      let msg: SipMessage;
      try {
        msg = parseMessage(data);
      } catch {
        return;
      }
      if (msg.kind !== 'response' || msg.status < 200) return;
      const key = `${msg.headers.get('call-id')}|${msg.headers.get('cseq')}`;
      this.#waiters.get(key)?.(msg);
    });
  }

  /** A phone on `address` (any 127.0.0.x on Linux) talking to callbin's UDP port. */
  static async open(address: string, serverPort: number): Promise<RawSipPhone> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    return new RawSipPhone(socket, address, { host: '127.0.0.1', port: serverPort });
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Send one request as a new transaction; resolves with its final response (ACKed when not 2xx). */
  async send(r: RawRequest): Promise<{ res: SipResponse; uri: string }> {
    const domain = r.domain ?? '127.0.0.1';
    const uri = r.method === 'REGISTER' ? `sip:${domain}` : `sip:+15550009999@${domain}`;
    const callId = r.callId ?? randomBytes(8).toString('hex');
    const cseq = this.#cseq++;
    const branch = `z9hG4bK-${randomBytes(8).toString('hex')}`;
    const via = `SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`;
    const from = `<sip:${r.user}@${domain}>;tag=${callId.slice(0, 6)}`;
    const to = r.method === 'REGISTER' ? `<sip:${r.user}@${domain}>` : `<sip:+15550009999@${domain}>`;
    const authHeader = r.method === 'REGISTER' ? 'Authorization' : 'Proxy-Authorization';
    const lines = [
      `${r.method} ${uri} SIP/2.0`,
      `Via: ${via}`,
      'Max-Forwards: 70',
      `From: ${from}`,
      `To: ${to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${r.method}`,
      `Contact: <sip:${r.user}@${this.address}:${this.port}>`,
      'User-Agent: raw-sip-phone',
      ...(r.expires !== undefined ? [`Expires: ${r.expires}`] : []),
      ...(r.authorization ? [`${authHeader}: ${r.authorization}`] : []),
      'Content-Length: 0',
      '',
      '',
    ];
    const key = `${callId}|${cseq} ${r.method}`;
    const res = await new Promise<SipResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new Error(`no final response to ${r.method} from ${this.address}`));
      }, 5000);
      this.#waiters.set(key, (msg) => {
        clearTimeout(timer);
        this.#waiters.delete(key);
        resolve(msg);
      });
      this.#socket.send(lines.join('\r\n'), this.#server.port, this.#server.host);
    });
    if (r.method === 'INVITE' && res.status >= 300) {
      const ack = [
        `ACK ${uri} SIP/2.0`,
        `Via: ${via}`,
        'Max-Forwards: 70',
        `From: ${from}`,
        `To: ${res.headers.get('to')}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ACK`,
        'Content-Length: 0',
        '',
        '',
      ];
      this.#socket.send(ack.join('\r\n'), this.#server.port, this.#server.host);
    }
    return { res, uri };
  }

  /** The challenge values of a 401/407, for `algorithm`. */
  static offer(res: SipResponse, algorithm: DigestAlgorithm = 'MD5'): string {
    const offers = [...res.headers.getAll('www-authenticate'), ...res.headers.getAll('proxy-authenticate')];
    const offer = offers.find((o) => o.includes(`algorithm=${algorithm},`));
    if (!offer) throw new Error(`no ${algorithm} challenge in ${res.status}: ${offers.join(' | ')}`);
    return offer;
  }

  /** Ask for a challenge, then answer it: the final response and the Authorization that was sent. */
  async authenticate(
    r: RawRequest & { username?: string; password: string; algorithm?: DigestAlgorithm },
  ): Promise<{ res: SipResponse; authorization: string }> {
    const { res: challenge, uri } = await this.send(r);
    if (challenge.status !== 401 && challenge.status !== 407) return { res: challenge, authorization: '' };
    const authorization = digestAuthorization({
      challenge: RawSipPhone.offer(challenge, r.algorithm),
      method: r.method,
      uri,
      username: r.username ?? r.user,
      password: r.password,
    });
    return { res: (await this.send({ ...r, authorization })).res, authorization };
  }

  close(): void {
    this.#socket.close();
  }
}
