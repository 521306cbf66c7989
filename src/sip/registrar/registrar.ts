import { silentLogger } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import type { DigestAlgorithm, DigestGuard } from '../auth/index.ts';
import { createResponse, formatHostPort, getCallId, getCSeq, parseNameAddr } from '../message/index.ts';
import type { SipRequest, SipResponse, SipUri } from '../message/index.ts';
import type { MessageSource } from '../transport/index.ts';
import { planBindingChanges } from './binding-plan.ts';
import { parseContactUpdate } from './contact-update.ts';
import { registeredPath } from './path.ts';
import type { ExpiryLimits } from './contact-update.ts';
import type {
  Binding,
  RegisterResult,
  RegisterTransaction,
  RegistrarAccount,
  RegistrarBackend,
} from './registrar-types.ts';
import { isScannerUserAgent } from './scanner-user-agent.ts';

/** Options of a {@link Registrar}. */
export interface RegistrarOptions {
  backend: RegistrarBackend;
  /** Digest authentication and its failure limiter, shared with every other challenged method. */
  guard: DigestGuard;
  clock: Clock;
  logger?: Logger;
  expiry?: Partial<ExpiryLimits>;
  /**
   * Algorithms offered, one WWW-Authenticate each, in this order. Default SHA-256 then MD5, the
   * order of preference of RFC 8760 §2.4: RFC 8760 clients take the first they support, and the
   * browser libraries (JsSIP 3.13, SIP.js 0.21) keep only the last challenge of a 401 and know only
   * MD5, so MD5 must come last (docs/webrtc.md "Registering a browser").
   */
  algorithms?: readonly DigestAlgorithm[];
  /**
   * User-Agents challenged with MD5 alone: clients that give up on a challenge list containing
   * an algorithm they do not know instead of picking the one they do.
   */
  md5OnlyUserAgents?: readonly RegExp[];
}

/**
 * libre before 2.x (baresip 0.x/1.x) fails with ENOSYS on any WWW-Authenticate that is not MD5;
 * sipp 3.6 answers only the first challenge and knows only MD5 ("authentication must use MD5").
 */
export const DEFAULT_MD5_ONLY_USER_AGENTS: readonly RegExp[] = [/^baresip v[01]\./i, /^sipp\b/i];

/** Default binding lifetimes: at least a minute, at most (and by default) an hour. */
export const DEFAULT_EXPIRY_LIMITS: ExpiryLimits = { minExpiresSec: 60, maxExpiresSec: 3600, defaultExpiresSec: 3600 };

const RESULTS: readonly RegisterResult[] = [
  'ok',
  'unauthorized',
  'forbidden',
  'interval_too_brief',
  'bad_request',
  'out_of_order',
  'error',
];

type Authenticated = { account: RegistrarAccount; to: SipUri };

/** `udp:203.0.113.7:5060`: the address a REGISTER came from, kept to reach the phone behind NAT. */
export function formatSource(source: MessageSource): string {
  return `${source.transport.toLowerCase()}:${formatHostPort(source.address, source.port)}`;
}

/**
 * The SIP registrar (RFC 3261 §10.3) for extensions: digest authentication (RFC 7616, MD5 and
 * SHA-256), contact bindings with expiry kept by a backend, failed attempts limited by the shared DigestGuard.
 * Plug `handleRegister` into whatever dispatches requests.
 */
export class Registrar {
  readonly #backend: RegistrarBackend;
  readonly #guard: DigestGuard;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #expiry: ExpiryLimits;
  readonly #md5OnlyUserAgents: readonly RegExp[];
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #counts = new Map<RegisterResult, number>(RESULTS.map((r) => [r, 0]));
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: RegistrarOptions) {
    this.#backend = options.backend;
    this.#guard = options.guard;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#expiry = { ...DEFAULT_EXPIRY_LIMITS, ...options.expiry };
    this.#md5OnlyUserAgents = options.md5OnlyUserAgents ?? DEFAULT_MD5_ONLY_USER_AGENTS;
    this.#algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
  }

  /** REGISTER outcomes so far, by result. */
  stats(): Record<RegisterResult, number> {
    return Object.fromEntries(this.#counts) as Record<RegisterResult, number>;
  }

  /** Answer one REGISTER on its server transaction; settles once the response is sent. */
  async handleRegister(req: SipRequest, tx: RegisterTransaction): Promise<void> {
    let result: { res: SipResponse; outcome: RegisterResult };
    try {
      result = await this.#process(req, tx.source);
    } catch (err) {
      this.#logger.error({ err, source: tx.source }, 'REGISTER failed');
      result = { res: createResponse(req, 500), outcome: 'error' };
    }
    this.#counts.set(result.outcome, (this.#counts.get(result.outcome) ?? 0) + 1);
    try {
      tx.respond(result.res);
    } catch (err) {
      // The transaction ended (closed layer or transport failure) while the store was answering.
      this.#logger.debug({ err }, 'REGISTER response not sent');
    }
  }

  async #process(req: SipRequest, source: MessageSource): Promise<{ res: SipResponse; outcome: RegisterResult }> {
    if (isScannerUserAgent(req.headers.get('user-agent')))
      return { res: createResponse(req, 403), outcome: 'forbidden' };
    let to: SipUri;
    try {
      to = parseNameAddr(req.headers.get('to') ?? '').uri;
      getCallId(req);
      getCSeq(req);
    } catch {
      return { res: createResponse(req, 400), outcome: 'bad_request' };
    }
    const auth = await this.#authenticate(req, to, source);
    if ('res' in auth) return auth;
    return this.#serialized(auth.account.extensionId, () => this.#updateBindings(req, source, auth.account));
  }

  async #authenticate(
    req: SipRequest,
    to: SipUri,
    source: MessageSource,
  ): Promise<Authenticated | { res: SipResponse; outcome: RegisterResult }> {
    const realm = this.#backend.realmFor(to.host);
    const outcome = await this.#guard.authenticate({
      method: req.method,
      authorizations: req.headers.getAll('authorization'),
      realm,
      source: source.address,
      lookup: async (username) => {
        const account = await this.#backend.findAccount({ username, domain: to.host });
        return account && account.realm === realm ? { account, key: account.extensionId, ha1: account.ha1 } : undefined;
      },
    });
    // RFC 3261 §22.4 / RFC 7616 §3.3: the same 403 whether the user exists, the password is wrong or the budget is spent.
    if (outcome.kind === 'refuse') return { res: createResponse(req, 403), outcome: 'forbidden' };
    if (outcome.kind === 'challenge') return this.#challenge(req, realm, outcome.stale, source);
    const account = outcome.account;
    // RFC 3261 §10.3 step 4: the authenticated user must be allowed to register the To address.
    if (to.user !== account.username && to.user !== account.extension)
      return { res: createResponse(req, 403), outcome: 'forbidden' };
    return { account, to };
  }

  #challenge(
    req: SipRequest,
    realm: string,
    stale: boolean,
    source: MessageSource,
  ): { res: SipResponse; outcome: RegisterResult } {
    const userAgent = req.headers.get('user-agent') ?? '';
    const md5Only = this.#md5OnlyUserAgents.some((re) => re.test(userAgent));
    const algorithms = md5Only ? ['MD5' as const] : this.#algorithms;
    const headers = this.#guard
      .challenge(realm, source.address, { stale, algorithms })
      .map((v): [string, string] => ['WWW-Authenticate', v]);
    return { res: createResponse(req, 401, undefined, { headers }), outcome: 'unauthorized' };
  }

  // REGISTERs of one extension are applied one at a time so step 7's check and step 8's write
  // see a consistent binding list.
  #serialized<T>(key: string, op: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(op, op);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return run;
  }

  async #updateBindings(
    req: SipRequest,
    source: MessageSource,
    account: RegistrarAccount,
  ): Promise<{ res: SipResponse; outcome: RegisterResult }> {
    const path = registeredPath(req);
    if (path === undefined) return { res: createResponse(req, 400, 'Malformed Path'), outcome: 'bad_request' };
    const update = parseContactUpdate(req, this.#expiry);
    if (update.kind === 'refused') {
      const outcome = update.status === 423 ? 'interval_too_brief' : 'bad_request';
      return { res: createResponse(req, update.status, update.reason, { headers: update.headers }), outcome };
    }
    if (update.kind !== 'query') {
      const seq = { callId: getCallId(req), cseq: getCSeq(req).seq };
      const plan = planBindingChanges(await this.#current(account.extensionId), update, seq);
      // RFC 3261 §10.3 step 7: "the update MUST be aborted and the request fails".
      if (!plan) return { res: createResponse(req, 500, 'Out of Order REGISTER'), outcome: 'out_of_order' };
      if (update.kind === 'wildcard') await this.#backend.removeAll(account.extensionId);
      else for (const contact of plan.remove) await this.#backend.removeBinding(account.extensionId, contact);
      const now = this.#clock.now();
      for (const { contact, expiresSec } of plan.save) {
        await this.#backend.saveBinding(this.#binding(req, source, account, contact, now + expiresSec * 1000, path));
      }
    }
    return { res: this.#ok(req, await this.#current(account.extensionId), path), outcome: 'ok' };
  }

  #binding(
    req: SipRequest,
    source: MessageSource,
    account: RegistrarAccount,
    contact: string,
    expiresAtMs: number,
    path: string[],
  ): Binding {
    return {
      extensionId: account.extensionId,
      customerId: account.customerId,
      contact,
      transport: source.transport,
      source: formatSource(source),
      callId: getCallId(req),
      cseq: getCSeq(req).seq,
      userAgent: req.headers.get('user-agent') ?? '',
      expiresAtMs,
      path,
    };
  }

  async #current(extensionId: string): Promise<Binding[]> {
    const now = this.#clock.now();
    return (await this.#backend.listBindings(extensionId)).filter((b) => b.expiresAtMs > now);
  }

  /**
   * RFC 3261 §10.3 step 8: the 200 lists every current binding with its remaining lifetime; RFC
   * 3327 §5.3: it echoes the Path values kept from the request, in order.
   */
  #ok(req: SipRequest, bindings: readonly Binding[], path: readonly string[]): SipResponse {
    const now = this.#clock.now();
    const headers: [string, string][] = bindings.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(1, Math.ceil((b.expiresAtMs - now) / 1000))}`,
    ]);
    for (const value of path) headers.push(['Path', value]);
    headers.push(['Date', new Date(now).toUTCString()]);
    return createResponse(req, 200, undefined, { headers });
  }
}
