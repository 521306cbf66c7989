// A "browser" that speaks SIP over WebSocket (RFC 7118) by hand: one `ws` connection, one message
// per frame, REGISTER and INVITE with digest authentication, and the dialog requests a test needs.
import WebSocket from 'ws';
import { digestAuthorization, newBranch, newCallId, newTag, parseMessage } from '../../src/sip/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/index.ts';

/** The host a browser puts in its Via and Contact (RFC 7118 §5.2: a random `.invalid` name). */
const BROWSER_HOST = 'w3bc4ll.invalid';

/** An INVITE's final answer and, for a 2xx, what its dialog needs. */
export interface InviteOutcome {
  response: SipResponse;
  callId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
}

export class RawWsSipClient {
  readonly ws: WebSocket;
  readonly #queue: SipMessage[] = [];
  readonly #waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  constructor(
    url: string,
    readonly account: { username: string; password: string; domain: string },
  ) {
    this.ws = new WebSocket(url, 'sip');
    this.ws.on('message', (data: Buffer) => {
      const msg = parseMessage(Buffer.from(data));
      const i = this.#waiters.findIndex((w) => w.match(msg));
      if (i < 0) return void this.#queue.push(msg);
      const [waiter] = this.#waiters.splice(i, 1);
      waiter?.resolve(msg);
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => (this.ws.once('open', () => resolve()), this.ws.once('error', reject)));
  }

  /** The next message matching `match` (queued or to come); rejects after `timeoutMs`. */
  waitFor(match: (m: SipMessage) => boolean, what: string, timeoutMs = 5_000): Promise<SipMessage> {
    const i = this.#queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.#queue.splice(i, 1)[0] as SipMessage);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = { match, resolve: (m: SipMessage) => (clearTimeout(timer), resolve(m)) };
      this.#waiters.push(waiter);
    });
  }

  /** A request of `method` in the call `callId` from callbin. */
  waitForRequest(method: string, callId: string, timeoutMs = 5_000): Promise<SipRequest> {
    const match = (m: SipMessage): boolean =>
      m.kind === 'request' && m.method === method && m.headers.get('call-id') === callId;
    return this.waitFor(match, `${method} for ${callId}`, timeoutMs) as Promise<SipRequest>;
  }

  /** REGISTER, answering the 401 challenge; resolves with the final response. */
  async register(): Promise<SipResponse> {
    const { username, domain } = this.account;
    const callId = newCallId();
    const fromTag = newTag();
    const send = (cseq: number, authorization?: string): Promise<SipResponse> =>
      this.#request(
        [
          `REGISTER sip:${domain} SIP/2.0`,
          ...this.#common({ to: `<sip:${username}@${domain}>`, fromTag, callId, cseq, method: 'REGISTER' }),
          'Expires: 300',
          ...(authorization ? [`Authorization: ${authorization}`] : []),
        ],
        callId,
        cseq,
      );
    const challenge = await send(1);
    if (challenge.status !== 401) return challenge;
    return send(2, this.#authorize(challenge.headers.getAll('www-authenticate'), 'REGISTER', `sip:${domain}`));
  }

  /** INVITE `user` with `sdp` (body as given, may be garbage), answering the 407; ACKs a non-2xx final answer. */
  async invite(user: string, sdp: string, contentType = 'application/sdp'): Promise<InviteOutcome> {
    const { domain } = this.account;
    const uri = `sip:${user}@${domain}`;
    const callId = newCallId();
    const fromTag = newTag();
    const send = async (cseq: number, authorization?: string): Promise<SipResponse> => {
      const branch = newBranch();
      const head = [
        `INVITE ${uri} SIP/2.0`,
        ...this.#common({ to: `<${uri}>`, fromTag, callId, cseq, method: 'INVITE', branch }),
        `Content-Type: ${contentType}`,
        ...(authorization ? [`Proxy-Authorization: ${authorization}`] : []),
      ];
      const res = await this.#request(head, callId, cseq, sdp, 20_000);
      // RFC 3261 §17.1.1.3: the ACK of a non-2xx final answer is part of the INVITE transaction.
      if (res.status >= 300) this.ws.send(this.#ackFor(uri, res, branch));
      return res;
    };
    let cseq = 1;
    let response = await send(cseq);
    if (response.status === 407) {
      cseq = 2;
      response = await send(cseq, this.#authorize(response.headers.getAll('proxy-authenticate'), 'INVITE', uri));
    }
    const toTag = /;\s*tag=([^;\s]+)/.exec(response.headers.get('to') ?? '')?.[1] ?? '';
    return { response, callId, fromTag, toTag, cseq };
  }

  /** ACKs the 2xx of a dialog-creating INVITE (RFC 3261 §13.2.2.4): a new transaction to its Contact. */
  ack(call: InviteOutcome): void {
    const target = /<([^>]+)>/.exec(call.response.headers.get('contact') ?? '')?.[1] ?? `sip:${this.account.domain}`;
    this.ws.send(this.#inDialog('ACK', target, call, call.cseq));
  }

  /** Sends BYE in the dialog; resolves with its answer. */
  bye(call: InviteOutcome): Promise<SipResponse> {
    const target = /<([^>]+)>/.exec(call.response.headers.get('contact') ?? '')?.[1] ?? `sip:${this.account.domain}`;
    const cseq = call.cseq + 1;
    const done = this.#response(call.callId, cseq, 5_000);
    this.ws.send(this.#inDialog('BYE', target, call, cseq));
    return done;
  }

  /** Answers a request from callbin (200 to its BYE). */
  reply(req: SipRequest, status: number, reason: string): void {
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...req.headers.getAll('via').map((v) => `Via: ${v}`),
      `From: ${req.headers.get('from')}`,
      `To: ${req.headers.get('to')}`,
      `Call-ID: ${req.headers.get('call-id')}`,
      `CSeq: ${req.headers.get('cseq')}`,
      'Content-Length: 0',
      '',
      '',
    ];
    this.ws.send(lines.join('\r\n'));
  }

  /** Answers an INVITE from callbin 200 with `sdp` (RFC 3261 §13.3.1.4: a To tag and our Contact). */
  accept(req: SipRequest, sdp: string): void {
    const lines = [
      'SIP/2.0 200 OK',
      ...req.headers.getAll('via').map((v) => `Via: ${v}`),
      ...req.headers.getAll('record-route').map((v) => `Record-Route: ${v}`),
      `From: ${req.headers.get('from')}`,
      `To: ${req.headers.get('to')};tag=${newTag()}`,
      `Call-ID: ${req.headers.get('call-id')}`,
      `CSeq: ${req.headers.get('cseq')}`,
      `Contact: <sip:${this.account.username}@${BROWSER_HOST};transport=ws>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ];
    this.ws.send(lines.join('\r\n'));
  }

  close(): void {
    this.ws.close();
  }

  #common(o: { to: string; fromTag: string; callId: string; cseq: number; method: string; branch?: string }): string[] {
    const { username, domain } = this.account;
    return [
      `Via: SIP/2.0/WS ${BROWSER_HOST};branch=${o.branch ?? newBranch()}`,
      'Max-Forwards: 70',
      `From: <sip:${username}@${domain}>;tag=${o.fromTag}`,
      `To: ${o.to}`,
      `Call-ID: ${o.callId}`,
      `CSeq: ${o.cseq} ${o.method}`,
      `Contact: <sip:${username}@${BROWSER_HOST};transport=ws>`,
      'User-Agent: raw-ws-browser/1',
    ];
  }

  #authorize(challenges: string[], method: string, uri: string): string {
    const { username, password } = this.account;
    const challenge = challenges[0];
    if (challenge === undefined) throw new Error(`${method}: no digest challenge`);
    return digestAuthorization({ challenge, method, uri, username, password });
  }

  #request(head: string[], callId: string, cseq: number, body = '', timeoutMs = 5_000): Promise<SipResponse> {
    const done = this.#response(callId, cseq, timeoutMs);
    this.ws.send([...head, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
    return done;
  }

  /** The final response to our request `cseq` of call `callId` (provisional ones are skipped). */
  #response(callId: string, cseq: number, timeoutMs: number): Promise<SipResponse> {
    const match = (m: SipMessage): boolean =>
      m.kind === 'response' &&
      m.status >= 200 &&
      m.headers.get('call-id') === callId &&
      Number.parseInt(m.headers.get('cseq') ?? '', 10) === cseq;
    return this.waitFor(match, `final response to CSeq ${cseq}`, timeoutMs) as Promise<SipResponse>;
  }

  #ackFor(uri: string, res: SipResponse, branch: string): string {
    const seq = Number.parseInt(res.headers.get('cseq') ?? '1', 10);
    return [
      `ACK ${uri} SIP/2.0`,
      `Via: SIP/2.0/WS ${BROWSER_HOST};branch=${branch}`,
      'Max-Forwards: 70',
      `From: ${res.headers.get('from')}`,
      `To: ${res.headers.get('to')}`,
      `Call-ID: ${res.headers.get('call-id')}`,
      `CSeq: ${seq} ACK`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  #inDialog(method: string, target: string, call: InviteOutcome, cseq: number): string {
    const { username, domain } = this.account;
    return [
      `${method} ${target} SIP/2.0`,
      `Via: SIP/2.0/WS ${BROWSER_HOST};branch=${newBranch()}`,
      'Max-Forwards: 70',
      `From: <sip:${username}@${domain}>;tag=${call.fromTag}`,
      `To: ${call.response.headers.get('to')}`,
      `Call-ID: ${call.callId}`,
      `CSeq: ${cseq} ${method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }
}
