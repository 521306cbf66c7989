import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { buildServer, ensureProjectAdmin, redactingLoggerOptions, type ProjectAdmin } from './api/index.ts';
import { allowedPrivateTargets, type Config } from './config/index.ts';
import { systemClock, type Clock, type Logger } from './shared/index.ts';
import { RetentionPurger, TimelineRepo, openStore, startHeartbeat, type Store } from './store/index.ts';
import {
  BufferedTimeline,
  byeLeftoverDialogs,
  recordConferenceStatus,
  startSipServer,
  type SipServer,
  type TimelineLimits,
} from './telephony/index.ts';
import { noTimeline } from './timeline/index.ts';
import { DeliveryWorker, EventHub, EventPublisher } from './events/index.ts';
import { isSupportedLanguage, listVoices } from './media/index.ts';
import { startCallStack, type CallStack } from './call-stack.ts';
import {
  NodeDrain,
  NodeWatcher,
  assertNodeIdFree,
  connectClusterBus,
  resolveNodeId,
  serveNodePing,
  startEventRelay,
  startCustomerDeletion,
  type CustomerDeletion,
  ClusterActiveflows,
  ClusterCalls,
  ClusterConferences,
  ClusterGroupcalls,
  ClusterTimeline,
  serveTimelineFlush,
  startCommandServer,
} from './cluster/index.ts';
import type { Bus } from './bus/index.ts';

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
  /** This node's id (docs/cluster.md): `CALLBIN_NODE_ID` or derived from the host name and SIP port. */
  nodeId: string;
  /** The bus between the nodes; set in cluster mode (`CALLBIN_NATS_URL`). */
  bus?: Bus;
  /**
   * Graceful drain (docs/security.md "Overload"): refuse new calls at once, let live calls end for up
   * to `drainSeconds`, cut those left (hangup reason `drain`), then close. Called again while it
   * waits, cuts the calls now. Resolves once the node is closed.
   */
  drain(): Promise<void>;
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
  opts: {
    logger?: Logger;
    clock?: Clock;
    /** Recorder limits other than the defaults (a test's node with a long flush interval). */
    timelineLimits?: Partial<TimelineLimits>;
  } = {},
): Promise<CallbinHandle> {
  // Access keys, tokens, Authorization and Cookie never reach a log line (docs/security.md).
  const logger: Logger =
    opts.logger ?? (pino({ level: config.logLevel, ...redactingLoggerOptions() }) as unknown as Logger);
  const clock = opts.clock ?? systemClock;
  privateDataDir(config.dataDir);
  const nodeId = resolveNodeId(config);
  const startedAt = new Date(clock.now()).toISOString();
  // Cluster mode (docs/cluster.md): the bus first, so that a NATS server that does not answer or a
  // node id clash stops the start before anything is written.
  const bus = config.natsUrl ? await connectClusterBus(config.natsUrl, nodeId, logger) : undefined;
  let store: Store;
  try {
    if (bus) await assertNodeIdFree(bus, nodeId);
    store = await openStore({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      clock,
      logger,
      nodeId,
    });
  } catch (err) {
    await bus?.close();
    throw err;
  }
  let stopPing: (() => void) | undefined;
  let stopCommands: (() => void) | undefined;
  let stopTimelineFlush: (() => void) | undefined;
  let stopRelay: (() => void) | undefined;
  let customerDeletion: CustomerDeletion | undefined;
  let sip: SipServer | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  let stack: CallStack | undefined;
  let stopHeartbeat: (() => Promise<void>) | undefined;
  let watcher: NodeWatcher | undefined;
  // Old events, deliveries and idempotency records go after `retentionDays` (docs/security.md).
  const retention = new RetentionPurger({ store, clock, logger, retentionDays: config.retentionDays });
  // docs/timeline.md "Reading a timeline": one recorder for every producer; CALLBIN_TIMELINE=0 records nothing.
  const timelineRepo = new TimelineRepo(store);
  const recorder = config.timeline
    ? new BufferedTimeline({
        sink: timelineRepo,
        clock,
        logger,
        ...(opts.timelineLimits ? { limits: opts.timelineLimits } : {}),
      })
    : undefined;
  const timeline = recorder ?? noTimeline;
  try {
    retention.start();
    // Crash recovery: when the previous process was last alive, then this one's heartbeat every few seconds.
    // Alone on PostgreSQL, another live node is DATABASE_IN_USE; in a cluster nodes beat every 2 s (docs/cluster.md).
    const lastAliveIso = await store.processes.register(new Date(clock.now()).toISOString(), {
      nodeId,
      cluster: bus !== undefined,
    });
    stopHeartbeat = startHeartbeat(store.processes, clock, logger);
    const admin = await ensureProjectAdmin(store, { dataDir: config.dataDir, adminKey: config.adminKey });
    // A cluster's nodes share their keys through the store, so a login token or a digest nonce of one
    // node is good on every node (docs/cluster.md "What is shared and what is per node").
    const secretOf = async (name: string): Promise<Buffer> =>
      bus
        ? Buffer.from(
            await store.secrets.getOrCreate(
              name,
              () => randomBytes(32).toString('base64url'),
              new Date(clock.now()).toISOString(),
            ),
            'base64url',
          )
        : readOrCreateSecret(config.dataDir, name);
    const digestSecret = await secretOf('sip-digest.secret');
    const jwtSecret = await secretOf('jwt.secret');
    sip = await startSipServer({ config, store, clock, logger, digestSecret });
    const sipServer = sip;
    const events = new EventHub(logger);
    const publisher = new EventPublisher({ hub: events });
    // docs/timeline.md "Entries": the status changes of conferences and their calls.
    recordConferenceStatus(events, timeline);
    const worker = new DeliveryWorker({
      store,
      clock,
      logger,
      mode: config.mode,
      ssrfAllow: allowedPrivateTargets(config),
      hub: events,
      timeline,
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
      reconcileNodeId: bus ? nodeId : undefined,
      remoteFiles: bus && { bus, nodeId },
      conferenceLink: bus && { bus, nodeId },
      timeline,
    });
    const callStack = stack;
    // Signalling before webhooks: deliveries wait while call set-ups need the event loop.
    worker.giveWayTo(callStack.admission);
    // Any node serves the whole API: a command for a call of another node runs there (docs/cluster.md
    // "Any node serves the whole API"); one node gives its services as they are.
    const link = bus && { nodeId, bus };
    const callCommands = link
      ? new ClusterCalls({ ...link, local: callStack.calls, calls: store.calls, transferEvents: store.outbox })
      : callStack.calls;
    const flowCommands = link
      ? new ClusterActiveflows({ ...link, local: callStack.flows, activeflows: store.activeflows })
      : callStack.flows;
    const conferenceCommands = link
      ? new ClusterConferences({ ...link, local: callStack.conferences, conferences: store.conferences })
      : callStack.conferences;
    // docs/cluster.md "Any node serves the whole API": a timeline read first asks the subject's node to write its entries.
    const localTimeline = recorder ?? { flush: async () => undefined };
    const timelineFlush = link
      ? new ClusterTimeline({
          ...link,
          local: localTimeline,
          logger,
          calls: store.calls,
          activeflows: store.activeflows,
          conferences: store.conferences,
        })
      : recorder && { flush: () => recorder.flush() };
    const groupcallCommands = link
      ? new ClusterGroupcalls({
          ...link,
          local: callStack.groupcalls,
          groupcalls: callStack.groupcallStore,
          calls: store.calls,
        })
      : callStack.groupcalls;
    // In a cluster a deleted customer's calls end on every node (docs/security.md "Deleting a customer").
    const endCustomer = (customerId: string): void => callStack.endCustomer(customerId);
    customerDeletion = bus ? startCustomerDeletion({ bus, nodeId, endLocal: endCustomer, logger }) : undefined;
    const app = await buildServer({
      store,
      clock,
      logger,
      jwtSecret,
      sipDomain: config.sipDomain,
      mode: config.mode,
      rateLimitPerSec: config.rateLimitPerSec,
      rateLimitBurst: config.rateLimitBurst,
      metricsText: () =>
        sipServer.metricsText() + callStack.admission.metricsText() + callStack.mediaQuality.metricsText(),
      admission: callStack.admission,
      isSupportedLanguage,
      ttsVoices: listVoices,
      events,
      calls: { service: callCommands, repo: callStack.callStore, mediaTap: callStack.mediaTap },
      activeflows: { engine: flowCommands, records: callStack.activeflowStore },
      conferences: {
        service: conferenceCommands,
        records: callStack.conferenceStore,
        recording: callStack.conferenceRecording,
      },
      recordings: { service: callStack.recordings, records: callStack.recordingStore },
      groupcalls: { service: groupcallCommands, records: callStack.groupcallStore },
      sipWebSocket: { wsPort: sipServer.wsPort, wssPort: sipServer.wssPort },
      ...(timelineFlush ? { timeline: timelineFlush } : {}),
      onProvidersChanged: () => callStack.providers.invalidate(),
      onCustomerDeleted: (customerId) =>
        customerDeletion ? customerDeletion.deleted(customerId) : endCustomer(customerId),
    });
    const address = await app.listen({ host: config.httpHost, port: config.httpPort });
    const url = new URL(address);
    const shownHost = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
    const apiUrl = `http://${shownHost}:${url.port}`;
    const sipHost = sipServer.advertisedHost;
    const sipAddress = `sip:${sipHost.includes(':') ? `[${sipHost}]` : sipHost}:${sipServer.address.port}`;
    if (bus) {
      // The node answers to its id, and other nodes' streams get its events, once it serves.
      stopPing = serveNodePing(bus, nodeId, { apiUrl, sipAddress, startedAt });
      const { calls, flows, conferences, groupcalls } = callStack;
      stopCommands = startCommandServer({ bus, nodeId, calls, flows, conferences, groupcalls, logger });
      if (recorder) stopTimelineFlush = serveTimelineFlush(bus, nodeId, recorder, logger);
      stopRelay = startEventRelay({ bus, hub: events, nodeId, logger });
    }
    if (bus) {
      // The survivors reconcile a dead node once (docs/cluster.md "Node health").
      const { intervalMs, staleMs } = store.processes.timing;
      const steps = {
        calls: callStack.calls,
        flows: callStack.flows,
        conferences: callStack.conferences,
        recordings: callStack.recordings,
        groupcalls: callStack.groupcalls,
        transfers: callStack.calls.transfers,
        deliveries: store.deliveries,
        byeDialogs: (dead: string) => byeLeftoverDialogs({ store, ua: sipServer.ua, logger, nodeId: dead }),
      };
      watcher = new NodeWatcher({ processes: store.processes, steps, clock, logger, intervalMs, staleMs }).start();
    }
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      drain.abandon();
      await app.close();
      // Other nodes' commands stop with this node's API: they answer NODE_UNAVAILABLE from now on.
      stopCommands?.();
      stopTimelineFlush?.();
      await watcher?.stop();
      await callStack.close();
      await sipServer.close();
      await worker.stop();
      await recorder?.close();
      await retention.stop();
      await stopHeartbeat?.();
      stopRelay?.();
      customerDeletion?.stop();
      stopPing?.();
      await bus?.close();
      await store.close();
    };
    const drain = new NodeDrain({
      clock,
      logger,
      drainSeconds: config.drainSeconds,
      target: {
        refuseNewCalls: () => {
          callStack.admission.startDraining();
          sipServer.startDraining();
        },
        liveCallIds: () => callStack.calls.listLive().map((c) => c.id),
        onCallChange: (listener) => callStack.calls.onEvent(() => listener()),
        cutCall: async (id) => void (await callStack.calls.hangup(id, { reason: 'drain' })),
        close: () => close(),
      },
    });
    return {
      config,
      apiUrl,
      store,
      sip: sipServer,
      sipAddress,
      nodeId,
      ...(bus ? { bus } : {}),
      ...(admin ? { admin } : {}),
      drain: async () => void (await drain.drain()),
      close,
    };
  } catch (err) {
    await watcher?.stop();
    await stack?.close();
    await sip?.close();
    await stopWorker?.();
    await recorder?.close();
    await retention.stop();
    await stopHeartbeat?.();
    customerDeletion?.stop();
    await bus?.close();
    await store.close();
    throw err;
  }
}
