import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { buildServer, ensureProjectAdmin, redactingLoggerOptions, type ProjectAdmin } from './api/index.ts';
import { allowedPrivateTargets, type Config } from './config/index.ts';
import { systemClock, type Clock, type Logger } from './shared/index.ts';
import { RetentionPurger, openStore, startHeartbeat, type Store } from './store/index.ts';
import { startSipServer, type SipServer } from './telephony/index.ts';
import { DeliveryWorker, EventHub, EventPublisher } from './events/index.ts';
import { isSupportedLanguage, listVoices } from './media/index.ts';
import { startCallStack, type CallStack } from './call-stack.ts';

/** A running callbin process. */
export interface CallbinHandle {
  config: Config;
  apiUrl: string;
  /** `sip:<host>:<port>` with the bound UDP port (TCP listens on the same one when it could). */
  sipAddress: string;
  sip: SipServer;
  /** Set on the first start only: the project admin's credentials, also saved to the data directory. */
  admin?: ProjectAdmin;
  store: Store;
  close(): Promise<void>;
}

/**
 * The data directory is 0700 and its secrets 0600 whatever the umask, also when they already
 * exist (docs/security.md); the store does the same for `callbin.db`, recordings for their files.
 */
function privateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  for (const name of ['admin-credentials.json', 'jwt.secret', 'sip-digest.secret']) {
    if (existsSync(join(dataDir, name))) chmodSync(join(dataDir, name), 0o600);
  }
  const recordings = join(dataDir, 'recordings');
  if (!existsSync(recordings)) return;
  chmodSync(recordings, 0o700);
  for (const entry of readdirSync(recordings, { withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(recordings, entry.name), 0o600);
  }
}

function readOrCreateSecret(dataDir: string, name: string): Buffer {
  const file = join(dataDir, name);
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('base64url'), { mode: 0o600 });
  return secret;
}

/** The composition root: open the store, start SIP, build the API, listen. */
export async function startCallbin(
  config: Config,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<CallbinHandle> {
  // Access keys, tokens, Authorization and Cookie never reach a log line (docs/security.md).
  const logger: Logger =
    opts.logger ?? (pino({ level: config.logLevel, ...redactingLoggerOptions() }) as unknown as Logger);
  const clock = opts.clock ?? systemClock;
  privateDataDir(config.dataDir);
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    clock,
    logger,
  });
  let sip: SipServer | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  let stack: CallStack | undefined;
  let stopHeartbeat: (() => Promise<void>) | undefined;
  // Old events, deliveries and idempotency records go after `retentionDays` (docs/security.md).
  const retention = new RetentionPurger({ store, clock, logger, retentionDays: config.retentionDays });
  try {
    retention.start();
    // Crash recovery: when the previous process was last alive, then this one's heartbeat every few seconds.
    const lastAliveIso = await store.processes.register(new Date(clock.now()).toISOString());
    stopHeartbeat = startHeartbeat(store.processes, clock, logger);
    const admin = await ensureProjectAdmin(store, { dataDir: config.dataDir, adminKey: config.adminKey });
    const digestSecret = readOrCreateSecret(config.dataDir, 'sip-digest.secret');
    sip = await startSipServer({ config, store, clock, logger, digestSecret });
    const sipServer = sip;
    const events = new EventHub(logger);
    const publisher = new EventPublisher({ hub: events });
    const worker = new DeliveryWorker({
      store,
      clock,
      logger,
      mode: config.mode,
      ssrfAllow: allowedPrivateTargets(config),
      hub: events,
    });
    await worker.start();
    stopWorker = () => worker.stop();
    stack = await startCallStack({
      config,
      store,
      sip: sipServer,
      publisher,
      clock,
      logger,
      digestSecret,
      lastAliveIso,
    });
    const callStack = stack;
    // Signalling before webhooks: deliveries wait while call set-ups need the event loop.
    worker.giveWayTo(callStack.admission);
    const app = await buildServer({
      store,
      clock,
      logger,
      jwtSecret: readOrCreateSecret(config.dataDir, 'jwt.secret'),
      sipDomain: config.sipDomain,
      mode: config.mode,
      rateLimitPerSec: config.rateLimitPerSec,
      rateLimitBurst: config.rateLimitBurst,
      metricsText: () => sipServer.metricsText() + callStack.admission.metricsText(),
      admission: callStack.admission,
      isSupportedLanguage,
      ttsVoices: listVoices,
      events,
      calls: { service: callStack.calls, repo: callStack.callStore },
      activeflows: { engine: callStack.flows, records: callStack.activeflowStore },
      conferences: {
        service: callStack.conferences,
        records: callStack.conferenceStore,
        recording: callStack.conferenceRecording,
      },
      recordings: { service: callStack.recordings, records: callStack.recordingStore },
      onProvidersChanged: () => callStack.providers.invalidate(),
      onCustomerDeleted: (customerId) => callStack.endCustomer(customerId),
    });
    const address = await app.listen({ host: config.httpHost, port: config.httpPort });
    const url = new URL(address);
    const shownHost = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
    const apiUrl = `http://${shownHost}:${url.port}`;
    const sipHost = sipServer.advertisedHost;
    let closed = false;
    return {
      config,
      apiUrl,
      store,
      sip: sipServer,
      sipAddress: `sip:${sipHost.includes(':') ? `[${sipHost}]` : sipHost}:${sipServer.address.port}`,
      ...(admin ? { admin } : {}),
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
        await callStack.close();
        await sipServer.close();
        await worker.stop();
        await retention.stop();
        await stopHeartbeat?.();
        await store.close();
      },
    };
  } catch (err) {
    await stack?.close();
    await sip?.close();
    await stopWorker?.();
    await retention.stop();
    await stopHeartbeat?.();
    await store.close();
    throw err;
  }
}
