// Part of the composition root: builds the calls stack (domain services and their adapters) for
// main.ts. Only main.ts imports this file.
import { join } from 'node:path';
import { CallService, DTMF_RECEIVED_EVENT, GroupcallService } from './calls/index.ts';
import { ConferenceService } from './conferences/index.ts';
import { allowedPrivateTargets, testNumbersEnabled, type Config } from './config/index.ts';
import { type EventPublisher, SsrfGuard } from './events/index.ts';
import { FlowEngine } from './flows/index.ts';
import {
  AudioLoader,
  MediaClock,
  PortAllocator,
  QualityMetrics,
  isSupportedLanguage,
  repairWav,
} from './media/index.ts';
import { GuardedFetch, LagSampler, LoopLoad, OverloadGuard, type Clock, type Logger } from './shared/index.ts';
import { LocalRecordingStorage, RecordingService, runOnEndFlows } from './recordings/index.ts';
import type { Bus } from './bus/index.ts';
import { ClusterConferenceJoins, ConferenceAdmissions, RemoteFiles } from './cluster/index.ts';
import type { Store } from './store/index.ts';
import { noTimeline, type TimelineRecorder } from './timeline/index.ts';
import {
  ActiveflowStoreAdapter,
  CallControlAdapter,
  CallDtmfEvents,
  CallMedia,
  CallQuality,
  HoldMusic,
  MOH_MAX_BYTES,
  MOH_TIMEOUT_MS,
  CallMediaTap,
  CallSignaling,
  CallStoreAdapter,
  DirectoryAdapter,
  FlowHttpAdapter,
  FlowLookupAdapter,
  flowStepTimeline,
  recordCallStatus,
  DirectAddresses,
  IncomingCalls,
  PhoneReferTransfers,
  ProviderAddressBook,
  ProviderHealth,
  RoutingAdapter,
  StoreRegistrarBackend,
  CallRecordings,
  RecordingStoreAdapter,
  SipTargetGuard,
  LegDialogIndex,
  byeLeftoverDialogs,
  ConferenceMixer,
  ConferenceRecording,
  ConferenceStoreAdapter,
  GroupcallStoreAdapter,
  InterNodeJoinAcceptor,
  InterNodeJoinDialer,
  MediaStreams,
  startCallTimelines,
  TransferStoreAdapter,
  TestCarrier,
  TestNumberRouting,
  type SipServer,
} from './telephony/index.ts';

/** Stops every activeflow of `customerId` running in this process (API ones; a call's stops with its hangup too). */
async function stopActiveflowsOf(flows: FlowEngine, customerId: string): Promise<void> {
  for (const id of flows.listLive()) {
    if ((await flows.get(id))?.customer_id === customerId) await flows.stop(id);
  }
}

/** The running calls stack. */
export interface CallStack {
  /** Admission control of new calls, shared by incoming INVITEs and `POST /calls`. */
  admission: OverloadGuard;
  calls: CallService;
  callStore: CallStoreAdapter;
  /** `GET /calls/{id}/media_stream`: read-only listening to this node's calls. */
  mediaTap: CallMediaTap;
  flows: FlowEngine;
  activeflowStore: ActiveflowStoreAdapter;
  providers: ProviderAddressBook;
  recordings: RecordingService;
  recordingStore: RecordingStoreAdapter;
  conferences: ConferenceService;
  conferenceStore: ConferenceStoreAdapter;
  /** Groupcalls of this node (docs/api.md "Groupcalls") and their stored rows. */
  groupcalls: GroupcallService;
  groupcallStore: GroupcallStoreAdapter;
  conferenceRecording: ConferenceRecording;
  /** Jitter, loss and MOS histograms of the legs of ended calls (docs/timeline.md "Media quality"). */
  mediaQuality: QualityMetrics;
  /** Where every producer records timeline entries (docs/timeline.md); `noTimeline` when switched off. */
  timeline: TimelineRecorder;
  /** A customer was deleted: hang up its live calls and stop its activeflows, in the background. */
  endCustomer(customerId: string): void;
  close(): Promise<void>;
}

/** Wire calls, flows and their SIP/media/store adapters; reconcile what a previous process left live. */
export async function startCallStack(o: {
  config: Config;
  store: Store;
  sip: SipServer;
  publisher: EventPublisher;
  clock: Clock;
  logger: Logger;
  digestSecret: Buffer;
  /** When the process before this one was last known alive (its heartbeat): reconciled calls end then. */
  lastAliveIso?: string | undefined;
  /**
   * Cluster mode: this node's id. Start-up then reconciles only what this node's previous
   * incarnation left; other nodes' are theirs or the dead-node watcher's (docs/cluster.md "Node health").
   */
  reconcileNodeId?: string | undefined;
  /** Cluster mode: recording files of the other nodes are read from them over the bus (docs/cluster.md "Files"). */
  remoteFiles?: { bus: Bus; nodeId: string } | undefined;
  /** Cluster mode: a conference whose room is on another node is joined over a leg between the nodes (docs/cluster.md). */
  conferenceLink?: { bus: Bus; nodeId: string } | undefined;
  /** The process's timeline recorder (docs/timeline.md); none recorded when absent. */
  timeline?: TimelineRecorder | undefined;
}): Promise<CallStack> {
  const { config, store, sip, clock, logger } = o;
  const timeline = o.timeline ?? noTimeline;
  // Each confirmed dialog's state is kept so a restart after a crash can BYE its far end.
  const journal = new LegDialogIndex({ store, clock, logger });
  // A REFER's Replaces names one of these dialogs, possibly an early one (docs/calls.md "Transfer").
  journal.watch(() => sip.ua.dialogs);
  const endpointOptions = {
    allocator: new PortAllocator({ minPort: config.rtpPortMin, maxPort: config.rtpPortMax }),
    address: sip.advertisedHost,
    mediaClock: new MediaClock({ clock }),
    clock,
  };
  // One SSRF guard, with the configured exceptions, for every request made for a customer (docs/security.md).
  const guard = new SsrfGuard({ mode: config.mode, allow: allowedPrivateTargets(config) });
  const mediaHttp = new GuardedFetch({ guard, clock });
  const audio = new AudioLoader({ clock, http: mediaHttp });
  let calls: CallService | undefined;
  const lateCalls = () => {
    if (!calls) throw new Error('call service not built yet');
    return calls;
  };
  // docs/events.md "Event types": every digit a call receives is a `dtmf_received` event on the call's topic.
  const dtmfEvents = new CallDtmfEvents({
    customerOf: async (callId) => (await lateCalls().get(callId))?.customer_id,
    publish: async (event) => {
      await o.publisher.publishNow(store, {
        customer_id: event.customer_id,
        resource_type: 'call',
        resource_id: event.call_id,
        type: DTMF_RECEIVED_EVENT,
        data: event,
      });
    },
    clock,
    logger,
  });
  // docs/timeline.md "SIP ladder": the SIP messages and media events of the calls' legs, when the timeline is on.
  const callTimelines = startCallTimelines({
    recorder: timeline,
    sip,
    customerOf: async (callId) => (await lateCalls().get(callId))?.customer_id,
    clock,
    logger,
  });
  // docs/timeline.md "Media quality": a `quality` entry per leg every 5 s, each leg's figures at hangup.
  const quality = new CallQuality({
    clock,
    timeline,
    customerOf: async (callId) => (await lateCalls().get(callId))?.customer_id,
    logger,
  });
  const mediaQuality = new QualityMetrics();
  const media = new CallMedia({
    quality,
    timeline: callTimelines?.media,
    logger,
    loadAudio: (url, opts) => audio.load(url, opts),
    relayRtp: config.mediaRelay,
    onDigit: (callId, event) => dtmfEvents.received(callId, event),
    // docs/calls.md "Music on hold": the call's or its customer's moh_url, fetched like `play` media.
    mohLibrary: new HoldMusic({
      load: (url) => audio.load(url, { maxBytes: MOH_MAX_BYTES, timeoutMs: MOH_TIMEOUT_MS }),
      customerMohUrl: async (callId) => {
        const call = await lateCalls().get(callId);
        return call && (await store.customers.get(call.customer_id))?.moh_url;
      },
      clock,
      logger,
    }),
  });
  const health = new ProviderHealth({ ua: sip.ua, store, clock, logger });
  const callStore = new CallStoreAdapter({ store, events: o.publisher });
  const activeflowStore = new ActiveflowStoreAdapter({ store, events: o.publisher });
  const http = new FlowHttpAdapter({ store, clock, guard, timeline });
  const conferenceStore = new ConferenceStoreAdapter({ store, events: o.publisher });
  const mixer = new ConferenceMixer({ media, mediaClock: endpointOptions.mediaClock, logger });
  const conferences = new ConferenceService({
    store: conferenceStore,
    media: mixer,
    calls: {
      get: (id) => lateCalls().get(id),
      setConference: async (id, conferenceId) => void (await lateCalls().setConference(id, conferenceId)),
    },
    clock,
    logger,
  });
  // docs/cluster.md "Conferences across nodes": rooms on this node admit legs from other nodes;
  // a flow joins a room of another node over such a leg.
  const crossNodeConferences = (link: { bus: Bus; nodeId: string }) => {
    const host = sip.advertisedHost.includes(':') ? `[${sip.advertisedHost}]` : sip.advertisedHost;
    const admissions = new ConferenceAdmissions({
      ...link,
      sipUri: `sip:callbin@${host}:${sip.address.port}`,
      owners: store.conferences,
      conferences,
      clock,
      logger,
    });
    const joins = new ClusterConferenceJoins({
      ...link,
      local: conferences,
      owners: store.conferences,
      calls: {
        get: (id) => lateCalls().get(id),
        setConference: async (id, conferenceId) => void (await lateCalls().setConference(id, conferenceId)),
      },
      statusOf: async (id) => (await conferenceStore.getConference(id))?.status,
      legs: new InterNodeJoinDialer({ ua: sip.ua, media, endpointOptions, fromHost: host, journal, logger }),
      clock,
      logger,
    });
    const acceptor = new InterNodeJoinAcceptor({ tickets: admissions, conferences, media, endpointOptions, logger });
    return { joins, acceptor, stopServing: admissions.serve() };
  };
  const roomLink = o.conferenceLink && crossNodeConferences(o.conferenceLink);
  const flows = new FlowEngine({
    store: activeflowStore,
    flows: new FlowLookupAdapter(store),
    calls: new CallControlAdapter({ calls: lateCalls, media, clock }),
    conferences: roomLink?.joins ?? conferences,
    http,
    clock,
    logger,
    isSupportedLanguage,
    steps: flowStepTimeline(timeline),
  });
  const recordingStore = new RecordingStoreAdapter({ store, events: o.publisher });
  const recordingDisk = new LocalRecordingStorage({ dir: join(config.dataDir, 'recordings'), repairWav });
  // In a cluster a recording's files stay on the node that made it (its row's node_id); this node serves its own.
  const recordingFiles =
    o.remoteFiles &&
    new RemoteFiles({
      ...o.remoteFiles,
      local: recordingDisk,
      ownerOf: (id) => store.recordings.ownerOf(id),
      logger,
    });
  const stopServingFiles = recordingFiles?.serve();
  const recordings = new RecordingService({
    store: recordingStore,
    storage: recordingDisk,
    ...(recordingFiles ? { files: recordingFiles } : {}),
    clock,
    logger,
  });
  // A recording's on_end_flow_id runs as an API activeflow once it ends (repaired ones included).
  runOnEndFlows(recordings, flows, logger);
  const conferenceRecording = new ConferenceRecording({ recordings, mixer, conferences, clock, logger });
  // docs/media-streams.md: a call's audio to the customer's WebSocket, guarded and signed like webhooks.
  const streams = new MediaStreams({
    media,
    guard,
    clock,
    logger,
    secretOf: async (customerId) => (await store.customers.get(customerId))?.webhook_secret ?? '',
    publish: async (type, stream) => {
      await o.publisher.publishNow(store, {
        customer_id: stream.customer_id,
        resource_type: 'external_media',
        resource_id: stream.id,
        type,
        data: stream,
      });
    },
  });
  const recorder = new CallRecordings({
    recordings,
    endpoint: (legId) => media.endpoint(legId),
    calls: lateCalls,
    timeline: callTimelines?.media,
    logger,
  });
  const refers = new PhoneReferTransfers({ calls: lateCalls, dialogs: journal, logger });
  // Customers' `sip:` destinations may not reach internal hosts in production mode (docs/security.md).
  const sipTargets = new SipTargetGuard({ mode: config.mode, allow: allowedPrivateTargets(config) });
  // Registered contacts are called through their registration's Path (RFC 3327, docs/cluster.md "The SIP edge").
  const directory = new DirectoryAdapter({ store, clock });
  // docs/testing-your-flows.md "Test numbers": a built-in carrier on loopback, on in local mode (docs/security.md).
  const carrier = testNumbersEnabled(config)
    ? await TestCarrier.start({ clock, logger: logger.child({ module: 'test-carrier' }), endpointOptions })
    : undefined;
  calls = new CallService({
    store: callStore,
    signaling: new CallSignaling({
      ua: sip.ua,
      media,
      endpointOptions,
      fromHost: sip.advertisedHost,
      logger,
      refers,
      journal,
      sipTargets,
      contactRoutes: directory,
    }),
    media,
    flows,
    routing: new TestNumberRouting(new RoutingAdapter({ store, health }), carrier),
    directory,
    recorder,
    streams,
    clock,
    logger,
    // Transfers are rows with their events, so they outlive the process (docs/calls.md "Transfer").
    transferStore: new TransferStoreAdapter({ store, events: o.publisher, nodeId: o.reconcileNodeId }),
    sipTargets,
  });
  // docs/api.md "Groupcalls": each destination is an outgoing call of this CallService.
  const groupcallStore = new GroupcallStoreAdapter({ store, events: o.publisher, nodeId: o.reconcileNodeId, clock });
  const groupcalls = new GroupcallService({ calls, store: groupcallStore, clock, logger });
  const providers = new ProviderAddressBook({ store, clock, logger });
  // docs/security.md "Overload": new INVITEs and POST /calls are refused 503 over capacity.
  const lag = new LagSampler({ clock }).start();
  const service = calls;
  // docs/timeline.md "Entries": each status change of a call, with its hangup cause.
  const stopStatusEntries = recordCallStatus(service, timeline);
  service.onEvent((event) => {
    if (event.type === 'call_hangup') for (const leg of event.call.qos ?? []) mediaQuality.observe(leg);
    if (event.type === 'call_hangup') dtmfEvents.forget(event.call.id);
  });
  const admission = new OverloadGuard({
    maxSetups: config.maxCallSetups,
    lagThresholdMs: config.overloadLagMs,
    lagMs: () => lag.lagMs(),
    load: new LoopLoad({ clock }).start(),
    maxUtilisation: config.overloadUtilisation / 100,
    otherSetups: () => service.outgoingSetups(),
  });
  const joinable = {
    isJoinable: async (customerId: string, conferenceId: string) =>
      (await conferences.get(conferenceId, { customerId }))?.status === 'progressing',
  };
  const incoming = new IncomingCalls({
    admission,
    ua: sip.ua,
    store,
    providers,
    accounts: new StoreRegistrarBackend({ store, clock, sipDomain: config.sipDomain }),
    digest: sip.digest,
    calls,
    media,
    endpointOptions,
    logger,
    refers,
    journal,
    conferences: joinable,
    // docs/calls.md "Direct addresses": `sip:direct.<hash>@<customer domain>`.
    direct: new DirectAddresses({ store, sipDomain: config.sipDomain, clock, conferences: joinable, logger }),
    ...(roomLink ? { interNode: roomLink.acceptor } : {}),
  });
  const nodeId = o.reconcileNodeId;
  // In a cluster a previous incarnation whose heartbeat rows this start did not remove itself was
  // claimed, and is reconciled, by a survivor (docs/cluster.md "Node health").
  if (nodeId === undefined || o.lastAliveIso !== undefined) {
    await recordings.repair({ nodeId });
    await flows.reconcile({ nodeId });
    await calls.reconcile({
      nodeId,
      lastAliveMs: o.lastAliveIso === undefined ? undefined : Date.parse(o.lastAliveIso),
    });
    await groupcalls.reconcile({ nodeId });
    await calls.transfers.reconcile({
      nodeId,
      lastAliveMs: o.lastAliveIso === undefined ? undefined : Date.parse(o.lastAliveIso),
    });
    // The far ends of the reconciled calls get their BYE now, in parallel; start-up does not wait for the answers.
    void byeLeftoverDialogs({ store, ua: sip.ua, logger, nodeId }).catch((err: unknown) =>
      logger.error({ err }, 'BYEs for calls left up by a previous process failed'),
    );
  }
  incoming.start();
  health.start();
  return {
    admission,
    calls: service,
    callStore,
    mediaTap: new CallMediaTap((callId) => service.mediaListener(callId)),
    flows,
    activeflowStore,
    providers,
    recordings,
    recordingStore,
    conferences,
    conferenceStore,
    groupcalls,
    groupcallStore,
    conferenceRecording,
    mediaQuality,
    timeline,
    endCustomer: (customerId) => {
      service.hangupCustomer(customerId);
      void stopActiveflowsOf(flows, customerId).catch((err: unknown) =>
        logger.error({ err, customer_id: customerId }, 'stopping the activeflows of a deleted customer failed'),
      );
    },
    close: async () => {
      lag.stop();
      stopStatusEntries();
      callTimelines?.stop();
      roomLink?.stopServing();
      await incoming.stop();
      await roomLink?.acceptor.close();
      await refers.whenIdle();
      await health.stop();
      groupcalls.close();
      service.close();
      await carrier?.close();
      conferences.close();
      await streams.close();
      await flows.close();
      await recorder.close();
      stopServingFiles?.();
      await media.close();
      await dtmfEvents.whenIdle();
      await journal.whenIdle();
      await http.close();
      await mediaHttp.close();
      endpointOptions.mediaClock.close();
    },
  };
}
