import { randomBytes } from 'node:crypto';
import type { Provider, Route } from '../../calls/index.ts';
import type { MediaEndpointOptions } from '../../endpoint/index.ts';
import { CachedTtsEngine, EspeakTtsEngine, type TtsEngine } from '../../media/index.ts';
import { type Clock, type Logger, NIL_UUID } from '../../shared/index.ts';
import { SipTransport, TransactionLayer, UserAgent, parseUri, type IncomingInvite } from '../../sip/index.ts';
import { runAnsweringCall, runRingingCall } from './carrier-call.ts';
import { CARRIER_MAX_CALLS, testNumber } from './test-numbers.ts';

/** The id of the carrier's provider in `route_attempts` (it is no stored provider). */
export const TEST_CARRIER_PROVIDER_ID = '00000000-0000-4000-8000-150055500000';
/** The id of the carrier's route in `route_attempts` (it is no stored route). */
export const TEST_CARRIER_ROUTE_ID = '00000000-0000-4000-8000-150055500001';
/** The header that carries the carrier's token: INVITEs without it are refused 403. */
const TOKEN_HEADER = 'X-Callbin-Test-Carrier';

/** Options of {@link TestCarrier.start}. */
export interface TestCarrierOptions {
  clock: Clock;
  logger: Logger;
  /** RTP ports and the media clock, shared with the calls; `address` is replaced by the loopback address. */
  endpointOptions: MediaEndpointOptions;
  /** Speech of the speaking numbers (default espeak-ng, cached). */
  tts?: TtsEngine;
}

/**
 * The built-in carrier of the test numbers (docs/testing-your-flows.md "Test numbers"): a SIP UAS on
 * its own UDP socket on 127.0.0.1 (a free port), answering with RTP endpoints of callbin's media
 * layer. Calls reach it as the provider {@link provider}, with a token header only callbin knows.
 */
export class TestCarrier {
  readonly #transport: SipTransport;
  readonly #layer: TransactionLayer;
  readonly #ua: UserAgent;
  readonly #token = randomBytes(16).toString('hex');
  readonly #calls = new Set<Promise<void>>();
  readonly #o: TestCarrierOptions & { tts: TtsEngine };
  /** Where the carrier listens (UDP on 127.0.0.1). */
  readonly port: number;

  private constructor(o: TestCarrierOptions, transport: SipTransport, port: number) {
    this.#o = { ...o, tts: o.tts ?? new CachedTtsEngine(new EspeakTtsEngine()) };
    this.#transport = transport;
    this.port = port;
    this.#layer = new TransactionLayer({ transport, clock: o.clock, logger: o.logger });
    this.#ua = new UserAgent({
      layer: this.#layer,
      clock: o.clock,
      logger: o.logger,
      user: 'test-carrier',
      contacts: [{ host: '127.0.0.1', port, transport: 'UDP' }],
    });
    this.#ua.on('invite', (invite) => this.#track(this.#answer(invite)));
  }

  /** Binds the carrier's socket on 127.0.0.1 (port picked free) and starts answering. */
  static async start(o: TestCarrierOptions): Promise<TestCarrier> {
    const transport = new SipTransport({ clock: o.clock, logger: o.logger });
    const bound = await transport.listenUdp({ host: '127.0.0.1', port: 0 });
    return new TestCarrier(o, transport, bound.port);
  }

  /** The carrier as the provider calls to test numbers go through. */
  get provider(): Provider {
    return {
      id: TEST_CARRIER_PROVIDER_ID,
      hostname: '127.0.0.1',
      port: this.port,
      transport: 'udp',
      tech_prefix: '',
      tech_postfix: '',
      tech_headers: { [TOKEN_HEADER]: this.#token },
      auth_username: '',
      auth_password: '',
    };
  }

  /** The route that takes test numbers to {@link provider}. */
  get route(): Route {
    return {
      id: TEST_CARRIER_ROUTE_ID,
      customer_id: NIL_UUID,
      provider_id: TEST_CARRIER_PROVIDER_ID,
      priority: 0,
      target: '+1500555',
      tm_create: '1970-01-01T00:00:00.000Z',
    };
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Ends every call (BYE, 487/480) and closes the socket. */
  async close(): Promise<void> {
    await this.#ua.close();
    await Promise.allSettled([...this.#calls]);
    this.#layer.close();
    await this.#transport.close();
  }

  #track(call: Promise<void>): void {
    const tracked = call
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'test carrier call failed'))
      .finally(() => this.#calls.delete(tracked));
    this.#calls.add(tracked);
  }

  async #answer(invite: IncomingInvite): Promise<void> {
    if (invite.request.headers.get(TOKEN_HEADER) !== this.#token) return invite.reject(403);
    if (this.#calls.size >= CARRIER_MAX_CALLS) return invite.reject(503);
    let number = '';
    try {
      number = parseUri(invite.request.uri).user ?? '';
    } catch {
      return invite.reject(400);
    }
    const entry = testNumber(number);
    // Any other `+1500555xxxx` number is not assigned (RFC 3261 §21.4.5).
    if (!entry) return invite.reject(404);
    const deps = {
      clock: this.#o.clock,
      logger: this.#o.logger,
      tts: this.#o.tts,
      endpointOptions: { ...this.#o.endpointOptions, address: '127.0.0.1' },
    };
    switch (entry.behaviour) {
      case 'busy':
        return invite.reject(486);
      case 'unavailable':
        return invite.reject(503);
      case 'ring':
        return runRingingCall(invite, this.#o.clock);
      default:
        return runAnsweringCall(invite, entry, deps);
    }
  }
}
