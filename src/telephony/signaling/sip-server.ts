import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Config } from '../../config/index.ts';
import { AppError } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import {
  DigestChallenger,
  DigestGuard,
  SipTransport,
  TransactionLayer,
  UserAgent,
  createResponse,
  dialogKey,
  getCallId,
  getTag,
} from '../../sip/index.ts';
import type { HostPort, LocalContact, ServerTransaction, SipRequest, SipTransportOptions } from '../../sip/index.ts';
import type { SipMessageObserver } from '../../sip/index.ts';
import { Registrar } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';
import { BindingPurge } from './binding-purge.ts';
import { flattenSipStats, sipMetricsText } from './sip-metrics.ts';
import type { SipServerStats } from './sip-metrics.ts';
import { StoreRegistrarBackend } from './store-registrar-backend.ts';

/** Options of {@link startSipServer}. */
export interface SipServerOptions {
  config: Pick<Config, 'sipHost' | 'sipPort' | 'sipDomain' | 'publicIp'> &
    Partial<Pick<Config, 'sipTlsPort' | 'sipTlsCert' | 'sipTlsKey' | 'sipWsPort' | 'sipWssPort'>> &
    Partial<
      Pick<Config, 'sipMaxConnections' | 'sipMaxConnectionsPerSource' | 'sipIdleTimeoutSec' | 'sipMessageDeadlineSec'>
    >;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Key of the digest nonce MAC; keep it across restarts so outstanding nonces stay valid. */
  digestSecret?: Buffer;
  /** How often expired bindings are deleted from the store (default 60 s). */
  purgeIntervalMs?: number;
}

/** A listening SIP server: transports, transactions, the user agent and the registrar. */
export interface SipServer {
  /** The bound UDP address (TCP listens on the same port when it could). */
  address: { host: string; port: number };
  /** The bound TCP port. */
  tcpPort: number;
  /** The bound TLS port, when a certificate and key are configured. */
  tlsPort?: number;
  /** The bound WebSocket port (RFC 7118, subprotocol `sip`), when enabled. */
  wsPort?: number;
  /** The bound secure WebSocket port (RFC 7118 `wss`, the TLS certificate and key), when enabled. */
  wssPort?: number;
  /** The host written in our Via and Contact: the public IP, else the listen address. */
  advertisedHost: string;
  /** The user agent core, for placing and answering calls. */
  ua: UserAgent;
  /** Digest authentication with the one failure limiter of every challenged method (REGISTER, INVITE). */
  digest: DigestGuard;
  /** Let `observer` see each SIP message sent or received (docs/timeline.md "SIP ladder"); returns the stop function. */
  observe(observer: SipMessageObserver): () => void;
  /** Counters, flat: `messages_received`, `malformed`, `register_ok`, … */
  stats(): Record<string, number>;
  /** The counters as Prometheus text for `/metrics`. */
  metricsText(): string;
  /**
   * The node drains (docs/security.md "Overload"): an OPTIONS outside any dialog is answered 503
   * from now on, so that an edge probing with OPTIONS marks this node inactive; in-dialog OPTIONS
   * still reach their dialog. Idempotent, no way back.
   */
  startDraining(): void;
  /** End dialogs, stop listening, wait for REGISTERs being answered and the purge; idempotent. */
  close(): Promise<void>;
}

async function listen(transport: SipTransport, host: string, port: number): Promise<{ udp: HostPort; tcp: HostPort }> {
  const udp = await transport.listenUdp({ host, port });
  if (port !== 0) return { udp, tcp: await transport.listenTcp({ host, port }) };
  try {
    return { udp, tcp: await transport.listenTcp({ host, port: udp.port }) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    // Someone else holds the ephemeral UDP port on TCP: any TCP port will do for tests.
    return { udp, tcp: await transport.listenTcp({ host, port: 0 }) };
  }
}

/** TLS when a certificate is configured, WebSocket and secure WebSocket when a port is given (-1 = off). */
async function listenSecureAndWs(
  transport: SipTransport,
  config: SipServerOptions['config'],
  tls: boolean,
): Promise<{ tls?: HostPort; ws?: HostPort; wss?: HostPort }> {
  const out: { tls?: HostPort; ws?: HostPort; wss?: HostPort } = {};
  try {
    if (tls) out.tls = await transport.listenTls({ host: config.sipHost, port: config.sipTlsPort ?? 5061 });
    if ((config.sipWsPort ?? -1) >= 0)
      out.ws = await transport.listenWs({ host: config.sipHost, port: config.sipWsPort ?? 0, path: '/' });
    if ((config.sipWssPort ?? -1) >= 0)
      out.wss = await transport.listenWss({ host: config.sipHost, port: config.sipWssPort ?? 0, path: '/' });
  } catch (err) {
    await transport.close();
    throw new AppError(
      'SIP_LISTEN_FAILED',
      `cannot listen for SIP over TLS/WS/WSS: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return out;
}

/** The stream connection caps and timeouts of the configuration (docs/security.md); unset ones keep the transport's defaults. */
function connectionLimits(config: SipServerOptions['config']): SipTransportOptions {
  const {
    sipMaxConnections: total,
    sipMaxConnectionsPerSource: perSource,
    sipIdleTimeoutSec: idle,
    sipMessageDeadlineSec: deadline,
  } = config;
  return {
    ...(total !== undefined ? { maxConnections: total } : {}),
    ...(perSource !== undefined ? { maxConnectionsPerSource: perSource } : {}),
    ...(idle !== undefined ? { idleTimeoutMs: idle * 1000 } : {}),
    ...(deadline !== undefined ? { messageDeadlineMs: deadline * 1000 } : {}),
  };
}

/** The address peers can reach us at: the configured public IP, the listen address, or the first external IPv4. */
function advertisedHost(publicIp: string, listenHost: string): string {
  if (publicIp !== '') return publicIp;
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return listenHost;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  return external?.address ?? '127.0.0.1';
}

async function bind(
  transport: SipTransport,
  config: SipServerOptions['config'],
): Promise<{ udp: HostPort; tcp: HostPort }> {
  try {
    return await listen(transport, config.sipHost, config.sipPort);
  } catch (err) {
    await transport.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError('SIP_LISTEN_FAILED', `cannot listen for SIP on ${config.sipHost}:${config.sipPort}: ${reason}`, {
      cause: err,
    });
  }
}

/**
 * While the node drains: 503 for an OPTIONS outside a dialog (RFC 3261 §11.2: the answer an INVITE
 * would get), the dialog's own answer for one inside (RFC 3261 §12.2.2: 481 when none matches).
 */
function drainingOptions(ua: UserAgent, req: SipRequest, tx: ServerTransaction): void {
  const toTag = getTag(req.headers, 'to');
  if (toTag === undefined) return tx.respond(createResponse(req, 503));
  const key = dialogKey(getCallId(req), toTag, getTag(req.headers, 'from') ?? '');
  const dialog = ua.dialogs.find((d) => d.id === key);
  if (dialog) dialog.receiveRequest(req, tx);
  else tx.respond(createResponse(req, 481));
}

/**
 * Start the SIP side of callbin: UDP and TCP on `sipHost:sipPort` (port 0 picks one, shared by
 * both when free), the transaction layer, the user agent with the store-backed registrar plugged
 * in for REGISTER, and a timer that purges expired bindings.
 */
export async function startSipServer(options: SipServerOptions): Promise<SipServer> {
  const { config, store, clock } = options;
  const logger = options.logger.child({ module: 'sip' });
  const tls =
    config.sipTlsCert && config.sipTlsKey
      ? { cert: readFileSync(config.sipTlsCert), key: readFileSync(config.sipTlsKey) }
      : undefined;
  const transport = new SipTransport({ clock, logger, ...(tls ? { tls } : {}), ...connectionLimits(config) });
  const bound = await bind(transport, config);
  const host = advertisedHost(config.publicIp, config.sipHost);
  const contacts: LocalContact[] = [
    { host, port: bound.udp.port, transport: 'UDP' },
    { host, port: bound.tcp.port, transport: 'TCP' },
  ];
  const extra = await listenSecureAndWs(transport, config, tls !== undefined);
  if (extra.tls) contacts.push({ host, port: extra.tls.port, transport: 'TLS' });
  if (extra.ws) contacts.push({ host, port: extra.ws.port, transport: 'WS' });
  if (extra.wss) contacts.push({ host, port: extra.wss.port, transport: 'WSS' });
  const layer = new TransactionLayer({ transport, clock, logger });
  const ua = new UserAgent({ layer, clock, logger, contacts });
  const backend = new StoreRegistrarBackend({ store, clock, sipDomain: config.sipDomain });
  const challenger = new DigestChallenger({ secret: options.digestSecret ?? randomBytes(32), clock });
  const digest = new DigestGuard({ challenger, clock, logger });
  const registrar = new Registrar({ backend, guard: digest, clock, logger });
  const inFlight = new Set<Promise<void>>();
  ua.handle('REGISTER', (req, tx) => {
    const done = registrar.handleRegister(req, tx).finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  const purge = new BindingPurge({ store, clock, logger, intervalMs: options.purgeIntervalMs ?? 60_000 });
  const stats = (): SipServerStats => ({
    transport: transport.stats(),
    transactions: layer.size,
    register: registrar.stats(),
    digest: digest.stats(),
  });
  let closing: Promise<void> | undefined;
  let draining = false;
  logger.info(
    { udp: bound.udp, tcp: bound.tcp, tls: extra.tls, ws: extra.ws, wss: extra.wss, advertised: host },
    'SIP listening',
  );
  return {
    address: { host: bound.udp.address, port: bound.udp.port },
    tcpPort: bound.tcp.port,
    ...(extra.tls ? { tlsPort: extra.tls.port } : {}),
    ...(extra.ws ? { wsPort: extra.ws.port } : {}),
    ...(extra.wss ? { wssPort: extra.wss.port } : {}),
    advertisedHost: host,
    ua,
    digest,
    observe: (observer) => transport.observe(observer),
    stats: () => flattenSipStats(stats()),
    metricsText: () => sipMetricsText(stats()),
    startDraining: () => {
      if (draining) return;
      draining = true;
      ua.handle('OPTIONS', (req, tx) => drainingOptions(ua, req, tx));
    },
    close: () => {
      closing ??= (async () => {
        await ua.close();
        layer.close();
        await transport.close();
        await Promise.allSettled([...inFlight, purge.stop()]);
      })();
      return closing;
    },
  };
}
