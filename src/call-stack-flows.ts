// Part of the composition root (call-stack.ts): what runs on the calls — the stores of calls and
// activeflows, conferences (and rooms across nodes), the FlowEngine, recordings, media streams to
// customers' bots and the calls' recorder.
import { join } from 'node:path';
import type { Bus } from './bus/index.ts';
import { ClusterConferenceJoins, ConferenceAdmissions, RemoteFiles } from './cluster/index.ts';
import { ConferenceService } from './conferences/index.ts';
import { FlowEngine } from './flows/index.ts';
import { isSupportedLanguage, repairWav } from './media/index.ts';
import { LocalRecordingStorage, RecordingService, runOnEndFlows } from './recordings/index.ts';
import type { StackBase, StackMedia } from './call-stack-media.ts';
import {
  ActiveflowStoreAdapter,
  CallControlAdapter,
  CallRecordings,
  CallStoreAdapter,
  ConferenceMixer,
  ConferenceRecording,
  ConferenceStoreAdapter,
  FlowHttpAdapter,
  FlowLookupAdapter,
  flowStepTimeline,
  InterNodeJoinAcceptor,
  InterNodeJoinDialer,
  type LegDialogIndex,
  MediaStreams,
  RecordingStoreAdapter,
} from './telephony/index.ts';

/** What runs on the calls. */
export type StackFlows = ReturnType<typeof buildStackFlows>;

/** Builds conferences, flows and recordings; serves rooms and recording files to other nodes in a cluster. */
export function buildStackFlows(
  o: StackBase & {
    media: StackMedia;
    journal: LegDialogIndex;
    remoteFiles?: { bus: Bus; nodeId: string } | undefined;
    conferenceLink?: { bus: Bus; nodeId: string } | undefined;
  },
) {
  const { config, store, sip, clock, logger, timeline, lateCalls, journal } = o;
  const { media, endpointOptions, guard, callTimelines } = o.media;
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
  return {
    callStore,
    activeflowStore,
    http,
    conferenceStore,
    conferences,
    roomLink,
    flows,
    recordingStore,
    stopServingFiles,
    recordings,
    conferenceRecording,
    streams,
    recorder,
  };
}
