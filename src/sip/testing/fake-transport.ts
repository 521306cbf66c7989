import { AppError, TypedEmitter } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { parseMessage } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource, SendDestination, SipTransportEvents, TransportProtocol } from '../transport/index.ts';

/** One message handed to a {@link FakeTransport}. */
export interface SentMessage {
  msg: SipMessage;
  dest: SendDestination;
  /** Clock time of the send, when the transport was given a clock. */
  atMs: number;
}

/** An in-memory transport for transaction tests: records sends, injects inbound messages. */
export class FakeTransport extends TypedEmitter<SipTransportEvents> {
  /** Everything sent, in order. */
  readonly sent: SentMessage[] = [];
  /** When set, every send rejects with TRANSPORT_ERROR. */
  failing = false;
  readonly #clock: Clock | undefined;

  constructor(clock?: Clock) {
    super();
    this.#clock = clock;
  }

  /** Record a send. */
  send(msg: SipMessage, dest: SendDestination): Promise<void> {
    if (this.failing) return Promise.reject(new AppError('TRANSPORT_ERROR', 'fake transport failure'));
    this.sent.push({ msg, dest, atMs: this.#clock?.now() ?? 0 });
    return Promise.resolve();
  }

  /** Deliver an inbound message as if it came from `source`. */
  deliver(msg: SipMessage, source: MessageSource): void {
    this.emit('message', msg, source);
  }

  /** Sent requests of `method`. */
  requests(method: string): SipRequest[] {
    return this.sent.flatMap((s) => (s.msg.kind === 'request' && s.msg.method === method ? [s.msg] : []));
  }

  /** Clock times, relative to `startMs`, at which messages matching `pick` were sent. */
  times(pick: (msg: SipMessage) => boolean, startMs: number): number[] {
    return this.sent.filter((s) => pick(s.msg)).map((s) => s.atMs - startMs);
  }

  /** Sent responses with `status`. */
  responses(status?: number): SipResponse[] {
    return this.sent.flatMap((s) =>
      s.msg.kind === 'response' && (status === undefined || s.msg.status === status) ? [s.msg] : [],
    );
  }
}

/** A peer address on loopback for `transport`. */
export function peer(transport: TransportProtocol = 'UDP', port = 5070): MessageSource {
  return {
    transport,
    address: '127.0.0.1',
    port,
    ...(transport === 'UDP' ? {} : { connectionId: 'c1' }),
    local: { address: '127.0.0.1', port: 5060 },
  };
}

/** Parse a request from text lines (CRLF-joined, blank line appended). */
export function request(
  method: string,
  branch: string,
  opts: { transport?: TransportProtocol; toTag?: string; cseq?: number } = {},
): SipRequest {
  const transport = opts.transport ?? 'UDP';
  const text = [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:5070;branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=alice1',
    `To: <sip:bob@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    'Call-ID: call-1@127.0.0.1',
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const msg = parseMessage(Buffer.from(text));
  if (msg.kind !== 'request') throw new Error('not a request');
  return msg;
}
