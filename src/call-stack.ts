// Part of the composition root: builds the calls stack (domain services and their adapters) for
// main.ts, from its media side (call-stack-media.ts), what runs on the calls (call-stack-flows.ts)
// and its signalling side (call-stack-signaling.ts); then reconciles what a previous process left
// live and starts serving. Only main.ts imports this file.
import type { Bus } from './bus/index.ts';
import type { CallService, GroupcallService } from './calls/index.ts';
import type { ConferenceService } from './conferences/index.ts';
import type { Config } from './config/index.ts';
import type { EventPublisher } from './events/index.ts';
import type { FlowEngine } from './flows/index.ts';
import type { QualityMetrics } from './media/index.ts';
import type { Clock, Logger, OverloadGuard } from './shared/index.ts';
import type { RecordingService } from './recordings/index.ts';
import type { Store } from './store/index.ts';
import { noTimeline, type TimelineRecorder } from './timeline/index.ts';
import { buildStackFlows } from './call-stack-flows.ts';
import { buildStackMedia } from './call-stack-media.ts';
import { buildStackSignaling } from './call-stack-signaling.ts';
import {
  type ActiveflowStoreAdapter,
  CallMediaTap,
  type CallStoreAdapter,
  type ConferenceRecording,
  type ConferenceStoreAdapter,
  type GroupcallStoreAdapter,
  LegDialogIndex,
  type ProviderAddressBook,
  type RecordingStoreAdapter,
  type SipServer,
  byeLeftoverDialogs,
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
  const { store, sip, clock, logger } = o;
  const timeline = o.timeline ?? noTimeline;
  // Each confirmed dialog's state is kept so a restart after a crash can BYE its far end.
  const journal = new LegDialogIndex({ store, clock, logger });
  // A REFER's Replaces names one of these dialogs, possibly an early one (docs/calls.md "Transfer").
  journal.watch(() => sip.ua.dialogs);
  let calls: CallService | undefined;
  const lateCalls = () => {
    if (!calls) throw new Error('call service not built yet');
    return calls;
  };
  const base = { config: o.config, store, sip, publisher: o.publisher, clock, logger, timeline, lateCalls };
  const media = buildStackMedia(base);
  const ran = buildStackFlows({
    ...base,
    media,
    journal,
    remoteFiles: o.remoteFiles,
    conferenceLink: o.conferenceLink,
  });
  const sig = await buildStackSignaling({
    ...base,
    media,
    flows: ran,
    journal,
    reconcileNodeId: o.reconcileNodeId,
    adoptCalls: (service) => {
      calls = service;
    },
  });
  const service = sig.calls;
  const { flows, recordings, conferences } = ran;
  const { groupcalls } = sig;
  const nodeId = o.reconcileNodeId;
  // In a cluster a previous incarnation whose heartbeat rows this start did not remove itself was
  // claimed, and is reconciled, by a survivor (docs/cluster.md "Node health").
  if (nodeId === undefined || o.lastAliveIso !== undefined) {
    await recordings.repair({ nodeId });
    await flows.reconcile({ nodeId });
    await service.reconcile({
      nodeId,
      lastAliveMs: o.lastAliveIso === undefined ? undefined : Date.parse(o.lastAliveIso),
    });
    await groupcalls.reconcile({ nodeId });
    await service.transfers.reconcile({
      nodeId,
      lastAliveMs: o.lastAliveIso === undefined ? undefined : Date.parse(o.lastAliveIso),
    });
    // The far ends of the reconciled calls get their BYE now, in parallel; start-up does not wait for the answers.
    void byeLeftoverDialogs({ store, ua: sip.ua, logger, nodeId }).catch((err: unknown) =>
      logger.error({ err }, 'BYEs for calls left up by a previous process failed'),
    );
  }
  sig.incoming.start();
  sig.health.start();
  return {
    admission: sig.admission,
    calls: service,
    callStore: ran.callStore,
    mediaTap: new CallMediaTap((callId) => service.mediaListener(callId)),
    flows,
    activeflowStore: ran.activeflowStore,
    providers: sig.providers,
    recordings,
    recordingStore: ran.recordingStore,
    conferences,
    conferenceStore: ran.conferenceStore,
    groupcalls,
    groupcallStore: sig.groupcallStore,
    conferenceRecording: ran.conferenceRecording,
    mediaQuality: media.mediaQuality,
    timeline,
    endCustomer: (customerId) => {
      service.hangupCustomer(customerId);
      void stopActiveflowsOf(flows, customerId).catch((err: unknown) =>
        logger.error({ err, customer_id: customerId }, 'stopping the activeflows of a deleted customer failed'),
      );
    },
    close: async () => {
      sig.lag.stop();
      sig.stopStatusEntries();
      media.callTimelines?.stop();
      ran.roomLink?.stopServing();
      await sig.incoming.stop();
      await ran.roomLink?.acceptor.close();
      await sig.refers.whenIdle();
      await sig.health.stop();
      groupcalls.close();
      service.close();
      await sig.carrier?.close();
      conferences.close();
      await ran.streams.close();
      await flows.close();
      await ran.recorder.close();
      ran.stopServingFiles?.();
      await media.media.close();
      await media.dtmfEvents.whenIdle();
      await journal.whenIdle();
      await ran.http.close();
      await media.mediaHttp.close();
      media.endpointOptions.mediaClock.close();
    },
  };
}
