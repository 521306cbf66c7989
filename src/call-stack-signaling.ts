// Part of the composition root (call-stack.ts): the signalling side of the calls stack — the
// CallService and its SIP signalling, routing (with the test carrier), REFER transfers, groupcalls,
// the admission of new calls, incoming INVITEs and the calls' status timeline.
import { CallService, GroupcallService } from './calls/index.ts';
import { allowedPrivateTargets, testNumbersEnabled } from './config/index.ts';
import { LagSampler, LoopLoad, OverloadGuard } from './shared/index.ts';
import type { StackBase, StackMedia } from './call-stack-media.ts';
import type { StackFlows } from './call-stack-flows.ts';
import {
  CallSignaling,
  DirectAddresses,
  DirectoryAdapter,
  GroupcallStoreAdapter,
  IncomingCalls,
  type LegDialogIndex,
  PhoneReferTransfers,
  ProviderAddressBook,
  ProviderHealth,
  RoutingAdapter,
  SipTargetGuard,
  StoreRegistrarBackend,
  TestCarrier,
  TestNumberRouting,
  TransferStoreAdapter,
  recordCallStatus,
} from './telephony/index.ts';

/** The signalling side of the calls stack. */
export type StackSignaling = Awaited<ReturnType<typeof buildStackSignaling>>;

/** Builds the CallService and what dials and admits calls; `adoptCalls` receives the service as soon as it exists. */
export async function buildStackSignaling(
  o: StackBase & {
    media: StackMedia;
    flows: StackFlows;
    journal: LegDialogIndex;
    reconcileNodeId?: string | undefined;
    adoptCalls(calls: CallService): void;
  },
) {
  const { config, store, sip, clock, logger, timeline, lateCalls, journal } = o;
  const { media, endpointOptions, mediaQuality, dtmfEvents } = o.media;
  const { conferences, roomLink } = o.flows;
  const health = new ProviderHealth({ ua: sip.ua, store, clock, logger });
  const refers = new PhoneReferTransfers({ calls: lateCalls, dialogs: journal, logger });
  // Customers' `sip:` destinations may not reach internal hosts in production mode (docs/security.md).
  const sipTargets = new SipTargetGuard({ mode: config.mode, allow: allowedPrivateTargets(config) });
  // Registered contacts are called through their registration's Path (RFC 3327, docs/cluster.md "The SIP edge").
  const directory = new DirectoryAdapter({ store, clock });
  // docs/testing-your-flows.md "Test numbers": a built-in carrier on loopback, on in local mode (docs/security.md).
  const carrier = testNumbersEnabled(config)
    ? await TestCarrier.start({ clock, logger: logger.child({ module: 'test-carrier' }), endpointOptions })
    : undefined;
  const calls = new CallService({
    store: o.flows.callStore,
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
    flows: o.flows.flows,
    routing: new TestNumberRouting(new RoutingAdapter({ store, health }), carrier),
    directory,
    recorder: o.flows.recorder,
    streams: o.flows.streams,
    clock,
    logger,
    // Transfers are rows with their events, so they outlive the process (docs/calls.md "Transfer").
    transferStore: new TransferStoreAdapter({ store, events: o.publisher, nodeId: o.reconcileNodeId }),
    sipTargets,
  });
  o.adoptCalls(calls);
  // docs/api.md "Groupcalls": each destination is an outgoing call of this CallService.
  const groupcallStore = new GroupcallStoreAdapter({ store, events: o.publisher, nodeId: o.reconcileNodeId, clock });
  const groupcalls = new GroupcallService({ calls, store: groupcallStore, clock, logger });
  const providers = new ProviderAddressBook({ store, clock, logger });
  // docs/security.md "Overload": new INVITEs and POST /calls are refused 503 over capacity.
  const lag = new LagSampler({ clock }).start();
  // docs/timeline.md "Entries": each status change of a call, with its hangup cause.
  const stopStatusEntries = recordCallStatus(calls, timeline);
  calls.onEvent((event) => {
    if (event.type === 'call_hangup') for (const leg of event.call.qos ?? []) mediaQuality.observe(leg);
    if (event.type === 'call_hangup') dtmfEvents.forget(event.call.id);
  });
  const admission = new OverloadGuard({
    maxSetups: config.maxCallSetups,
    lagThresholdMs: config.overloadLagMs,
    lagMs: () => lag.lagMs(),
    load: new LoopLoad({ clock }).start(),
    maxUtilisation: config.overloadUtilisation / 100,
    otherSetups: () => calls.outgoingSetups(),
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
  return {
    health,
    refers,
    carrier,
    calls,
    groupcallStore,
    groupcalls,
    providers,
    lag,
    stopStatusEntries,
    admission,
    incoming,
  };
}
