import {
  InvalidStateError,
  TransactionTimeoutError,
  TypedEmitter,
  ValidationError,
  silentLogger,
  systemClock,
} from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import { createResponse, getBranch, getCSeq } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.ts';
import { isReliable, responseDestination } from '../transport/index.ts';
import type { MessageSource, SendDestination } from '../transport/index.ts';
import { InviteClientTransaction } from './invite-client-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { resolveTimers } from './timer-config.ts';
import type { TimerConfig } from './timer-config.ts';
import { clientKey, serverKey } from './transaction-key.ts';
import type { TransactionContext } from './transaction-types.ts';

/** What the transaction layer needs from a transport (SipTransport, or a fake in tests). */
export interface TransactionTransport {
  on(event: 'message', listener: (msg: SipMessage, source: MessageSource) => void): () => void;
  send(msg: SipMessage, dest: SendDestination): Promise<void>;
}

/** A client transaction of either kind; `kind` tells them apart. */
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
/** A server transaction of either kind; `kind` tells them apart. */
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** Events of the transaction layer, for the transaction user (dialogs, registrar…). */
export type TransactionLayerEvents = {
  /** A new request (never ACK or CANCEL) with the server transaction that answers it. */
  request: [req: SipRequest, tx: ServerTransaction];
  /** An ACK for a 2xx: no transaction of its own (RFC 3261 §17.1.1.3). */
  ack: [req: SipRequest, source: MessageSource];
  /** A 2xx to INVITE matching no client transaction: a retransmission or a forked answer. */
  strayResponse: [res: SipResponse, source: MessageSource];
};

/** Options of a {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  transport: TransactionTransport;
  clock?: Clock;
  logger?: Logger;
  timers?: Partial<TimerConfig>;
}

/** Options of {@link TransactionLayer.request}. */
export interface RequestOptions {
  onProvisional?: (res: SipResponse) => void;
  /** Aborting an INVITE sends its CANCEL (RFC 3261 §9.1). */
  signal?: AbortSignal;
}

/** RFC 3261 §17: creates, matches and owns the client and server transactions over a transport. */
export class TransactionLayer extends TypedEmitter<TransactionLayerEvents> {
  readonly #transport: TransactionTransport;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timers: TimerConfig;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    super();
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#timers = resolveTimers(options.timers);
    this.#unsubscribe = this.#transport.on('message', (msg, source) => this.#onMessage(msg, source));
  }

  /** The timer values in use. */
  get timers(): Readonly<TimerConfig> {
    return this.#timers;
  }

  /** Live transactions, for metrics and leak checks. */
  get size(): { client: number; server: number } {
    return { client: this.#clients.size, server: this.#servers.size };
  }

  /** Start a client transaction for `req` (the TU has built its Via with a fresh branch). */
  sendRequest(req: SipRequest, dest: SendDestination): ClientTransaction {
    if (this.#closed) throw new InvalidStateError('transaction layer is closed');
    if (req.method === 'ACK')
      throw ValidationError.field('method', 'ACK_NOT_TRANSACTION', 'send an ACK with sendAck()');
    if (!getBranch(req)) throw ValidationError.field('via', 'MISSING_BRANCH', 'the top Via needs a branch parameter');
    const key = clientKey(req);
    if (this.#clients.has(key))
      throw new InvalidStateError(`client transaction ${key} already exists`, 'TRANSACTION_EXISTS');
    const ctx = this.#context(isReliable(dest.transport), (msg) => this.#transport.send(msg, dest));
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(req, ctx, (cancel) => this.request(cancel, dest))
        : new NonInviteClientTransaction(req, ctx);
    this.#clients.set(key, tx);
    tx.on('terminated', () => this.#clients.delete(key));
    tx.start();
    return tx;
  }

  /** Send `req` in a client transaction and resolve with its final response (any status). */
  request(req: SipRequest, dest: SendDestination, options: RequestOptions = {}): Promise<SipResponse> {
    let tx: ClientTransaction;
    try {
      tx = this.sendRequest(req, dest);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      if (options.onProvisional) tx.on('provisional', options.onProvisional);
      tx.on('final', resolve);
      tx.on('timeout', () => reject(new TransactionTimeoutError(`${req.method} ${req.uri}: no final response`)));
      tx.on('transportError', reject);
      const signal = options.signal;
      if (signal && tx.kind === 'invite-client') {
        // The CANCEL's own outcome does not change this promise: the INVITE's final response does.
        const abort = (): void => void tx.cancel().catch(() => {});
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  /** Send an ACK for a 2xx; it has no transaction (RFC 3261 §17.1.1.3). */
  sendAck(ack: SipRequest, dest: SendDestination): Promise<void> {
    if (this.#closed) return Promise.reject(new InvalidStateError('transaction layer is closed'));
    return this.#transport.send(ack, dest);
  }

  /** Stop every transaction and timer; nothing fires afterwards. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const tx of this.#clients.values()) tx.dispose();
    for (const tx of this.#servers.values()) tx.dispose();
    this.#clients.clear();
    this.#servers.clear();
  }

  #context(reliable: boolean, send: (msg: SipMessage) => Promise<void>): TransactionContext {
    return { clock: this.#clock, timers: this.#timers, logger: this.#logger, reliable, send };
  }

  #onMessage(msg: SipMessage, source: MessageSource): void {
    if (this.#closed) return;
    try {
      if (msg.kind === 'response') this.#onResponse(msg, source);
      else this.#onRequest(msg, source);
    } catch (err) {
      // A message without usable Via/CSeq cannot be matched; RFC 3261 §18.1.2 drops it.
      this.#logger.debug({ err, source }, 'unmatchable SIP message dropped');
    }
  }

  #onResponse(res: SipResponse, source: MessageSource): void {
    const tx = this.#clients.get(clientKey(res));
    if (tx) return tx.receive(res);
    const isInvite2xx = res.status >= 200 && res.status < 300 && getCSeq(res).method === 'INVITE';
    if (isInvite2xx) this.emit('strayResponse', res, source);
    else this.#logger.debug({ status: res.status, source }, 'response matching no transaction dropped');
  }

  #onRequest(req: SipRequest, source: MessageSource): void {
    const key = serverKey(req);
    const existing = this.#servers.get(key);
    if (existing) {
      if (!existing.receiveRequest(req)) this.emit('ack', req, source);
      return;
    }
    if (req.method === 'ACK') return this.emit('ack', req, source);
    const tx = this.#createServer(key, req, source);
    if (req.method === 'CANCEL') return this.#onCancel(req, tx);
    this.emit('request', req, tx);
  }

  #createServer(key: string, req: SipRequest, source: MessageSource): ServerTransaction {
    const ctx = this.#context(isReliable(source.transport), async (msg) => {
      if (msg.kind !== 'response') throw new InvalidStateError('server transactions send responses only');
      await this.#transport.send(msg, responseDestination(msg, source));
    });
    const tx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(req, source, ctx)
        : new NonInviteServerTransaction(req, source, ctx);
    this.#servers.set(key, tx);
    tx.on('terminated', () => this.#servers.delete(key));
    if (tx.kind === 'invite-server') tx.start();
    return tx;
  }

  // RFC 3261 §9.2: a CANCEL matching a transaction is answered 200 by the layer and the
  // INVITE's TU is told (it then answers 487); one matching nothing gets 481.
  #onCancel(cancel: SipRequest, cancelTx: ServerTransaction): void {
    const invite = this.#servers.get(serverKey(cancel, 'INVITE'));
    if (!invite) return cancelTx.respond(createResponse(cancel, 481));
    cancelTx.respond(createResponse(cancel, 200));
    invite.cancelled(cancel);
  }
}
