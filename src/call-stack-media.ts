// Part of the composition root (call-stack.ts): the media side of the calls stack — RTP ports and
// the shared media clock, the guarded HTTP client that loads media, DTMF events, the calls' SIP and
// media timelines and quality, and CallMedia (a MediaEndpoint per leg).
import type { CallService } from './calls/index.ts';
import { DTMF_RECEIVED_EVENT } from './calls/index.ts';
import { allowedPrivateTargets, type Config } from './config/index.ts';
import { type EventPublisher, SsrfGuard } from './events/index.ts';
import { AudioLoader, MediaClock, PortAllocator, QualityMetrics } from './media/index.ts';
import { GuardedFetch, type Clock, type Logger } from './shared/index.ts';
import type { Store } from './store/index.ts';
import type { TimelineRecorder } from './timeline/index.ts';
import {
  CallDtmfEvents,
  CallMedia,
  CallQuality,
  HoldMusic,
  MOH_MAX_BYTES,
  MOH_TIMEOUT_MS,
  startCallTimelines,
  type SipServer,
} from './telephony/index.ts';

/** What every part of the calls stack is built from; `lateCalls` is the CallService, built last. */
export interface StackBase {
  config: Config;
  store: Store;
  sip: SipServer;
  publisher: EventPublisher;
  clock: Clock;
  logger: Logger;
  timeline: TimelineRecorder;
  lateCalls: () => CallService;
}

/** The media side of the calls stack. */
export type StackMedia = ReturnType<typeof buildStackMedia>;

/** Builds the media side; nothing starts until a leg is made. */
export function buildStackMedia(o: StackBase) {
  const { config, store, sip, clock, logger, timeline, lateCalls } = o;
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
  return { endpointOptions, guard, mediaHttp, dtmfEvents, callTimelines, mediaQuality, media };
}
