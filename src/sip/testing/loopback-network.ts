import { TypedEmitter } from '../../shared/index.ts';
import { parseMessage, serializeMessage } from '../message/index.ts';
import type { SipMessage } from '../message/index.ts';
import { stampReceived } from '../transport/index.ts';
import type { MessageSource, SendDestination, SipTransportEvents } from '../transport/index.ts';

/** One message that crossed a {@link LoopbackNetwork}. */
export interface LoopbackPacket {
  fromPort: number;
  toPort: number;
  msg: SipMessage;
}

/**
 * An in-memory UDP network on 127.0.0.1 for user agent tests: every send is serialized,
 * parsed again and delivered in a later microtask to the endpoint bound to the port, unless
 * `drop` says otherwise. Nothing here uses timers, so it runs on a FakeClock.
 */
export class LoopbackNetwork {
  /** Every delivered (not dropped) message, in order. */
  readonly packets: LoopbackPacket[] = [];
  /** Return true to lose a message on the way. */
  drop: ((packet: LoopbackPacket) => boolean) | undefined;
  readonly #endpoints = new Map<number, LoopbackTransport>();

  /** A transport bound to 127.0.0.1:`port`. */
  endpoint(port: number): LoopbackTransport {
    const transport = new LoopbackTransport(this, port);
    this.#endpoints.set(port, transport);
    return transport;
  }

  /** Deliver `bytes` from `fromPort` to `dest` (called by the endpoints). */
  carry(bytes: Buffer, fromPort: number, dest: SendDestination): void {
    const target = this.#endpoints.get(dest.port);
    if (!target) return;
    const msg = parseMessage(bytes);
    const packet = { fromPort, toPort: dest.port, msg };
    if (this.drop?.(packet)) return;
    this.packets.push(packet);
    queueMicrotask(() => target.receive(parseMessage(bytes), fromPort));
  }

  /** Delivered messages that are requests of `method` (or responses with CSeq method `method` when `status` is given). */
  requests(method: string, toPort?: number): SipMessage[] {
    return this.packets
      .filter(
        (p) => p.msg.kind === 'request' && p.msg.method === method && (toPort === undefined || p.toPort === toPort),
      )
      .map((p) => p.msg);
  }

  /** Delivered responses with `status` whose CSeq method is `method`. */
  responses(status: number, method: string, toPort?: number): SipMessage[] {
    return this.packets
      .filter(
        (p) =>
          p.msg.kind === 'response' &&
          p.msg.status === status &&
          (p.msg.headers.get('cseq') ?? '').endsWith(` ${method}`) &&
          (toPort === undefined || p.toPort === toPort),
      )
      .map((p) => p.msg);
  }
}

/** One endpoint of a {@link LoopbackNetwork}, shaped like a SipTransport for a TransactionLayer. */
export class LoopbackTransport extends TypedEmitter<SipTransportEvents> {
  readonly port: number;
  readonly #network: LoopbackNetwork;

  constructor(network: LoopbackNetwork, port: number) {
    super();
    this.#network = network;
    this.port = port;
  }

  /** Serialize and hand the message to the network. */
  send(msg: SipMessage, dest: SendDestination): Promise<void> {
    this.#network.carry(serializeMessage(msg), this.port, dest);
    return Promise.resolve();
  }

  /** A message arrived from `fromPort`. */
  receive(msg: SipMessage, fromPort: number): void {
    const source: MessageSource = {
      transport: 'UDP',
      address: '127.0.0.1',
      port: fromPort,
      local: { address: '127.0.0.1', port: this.port },
    };
    if (msg.kind === 'request') stampReceived(msg, source);
    this.emit('message', msg, source);
  }
}
