import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { parseMessage } from '../../src/sip/message/index.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message/index.ts';

/**
 * A caller on a raw UDP socket that dials `dialled` every `intervalMs` (From display name `t<n>`),
 * ACKs each 200 OK and answers each BYE. Once armed, the next 200 OK to one of its INVITEs runs
 * `fire` synchronously, before anything else, so a kill lands the moment a caller is told
 * (docs/events.md "Webhook delivery").
 */
export class AnswerTripwire {
  /** Names (`t<n>`) of the calls that got a 200 OK. */
  readonly answered = new Set<string>();
  readonly #socket: Socket;
  readonly #server: { host: string; port: number };
  readonly #names = new Map<string, string>();
  #fire: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;

  private constructor(socket: Socket, serverPort: number) {
    this.#socket = socket;
    this.#server = { host: '127.0.0.1', port: serverPort };
    socket.on('message', (data) => this.#onMessage(data));
    socket.on('error', () => undefined);
  }

  /** Opens the socket on 127.0.0.1 and starts dialling. */
  static async start(serverPort: number, dialled: string, intervalMs: number): Promise<AnswerTripwire> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const t = new AnswerTripwire(socket, serverPort);
    t.#timer = setInterval(() => t.#invite(dialled), intervalMs);
    return t;
  }

  /** The next 200 OK to an INVITE runs `fire` first (once). */
  arm(fire: () => void): void {
    this.#fire = fire;
  }

  /** Stops dialling (answers to BYEs go on until `close`). */
  stopDialling(): void {
    clearInterval(this.#timer);
  }

  close(): void {
    this.stopDialling();
    this.#socket.close();
  }

  #send(head: string[], body = ''): void {
    this.#socket.send(`${head.join('\r\n')}\r\n\r\n${body}`, this.#server.port, this.#server.host);
  }

  #invite(dialled: string): void {
    const name = `t${++this.#n}`;
    const callId = `${randomBytes(8).toString('hex')}@tripwire`;
    this.#names.set(callId, name);
    const { port } = this.#socket.address();
    const sdp = ['v=0', 'o=t 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 0', ''];
    const body = sdp.join('\r\n');
    this.#send(
      [
        `INVITE sip:${dialled}@127.0.0.1:${this.#server.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
        'Max-Forwards: 70',
        `From: "${name}" <sip:+15550008888@127.0.0.1:${port}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:${dialled}@127.0.0.1>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:tripwire@127.0.0.1:${port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(body)}`,
      ],
      body,
    );
  }

  #onMessage(data: Buffer): void {
    const fire = this.#fire;
    if (fire && data.subarray(0, 12).toString() === 'SIP/2.0 200 ' && /\nCSeq:\s*\d+ INVITE/i.test(data.toString())) {
      this.#fire = undefined;
      fire();
    }
    let msg: SipRequest | SipResponse;
    try {
      msg = parseMessage(data);
    } catch {
      return;
    }
    const callId = msg.headers.get('call-id') ?? '';
    if (msg.kind === 'response') {
      if (msg.status !== 200 || !/INVITE/.test(msg.headers.get('cseq') ?? '')) return;
      this.answered.add(this.#names.get(callId) ?? callId);
      const contact = /<([^>]+)>/.exec(msg.headers.get('contact') ?? '')?.[1] ?? `sip:127.0.0.1:${this.#server.port}`;
      this.#send([
        `ACK ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.#socket.address().port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
        'Max-Forwards: 70',
        `From: ${msg.headers.get('from')}`,
        `To: ${msg.headers.get('to')}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 ACK',
        'Content-Length: 0',
      ]);
    } else if (msg.method === 'BYE') {
      this.#send([
        'SIP/2.0 200 OK',
        ...msg.headers.getAll('via').map((v) => `Via: ${v}`),
        `From: ${msg.headers.get('from')}`,
        `To: ${msg.headers.get('to')}`,
        `Call-ID: ${callId}`,
        `CSeq: ${msg.headers.get('cseq')}`,
        'Content-Length: 0',
      ]);
    }
  }
}
