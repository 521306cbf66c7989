import { openTestStore, startTestServer } from '../../src/api/testing/test-server.ts';
import type { TestServer } from '../../src/api/testing/test-server.ts';
import type { ApiDeps } from '../../src/api/index.ts';
import type { CallsApiDeps } from '../../src/api/routes/calls-deps.ts';
import { CallService } from '../../src/calls/index.ts';
import type { Call, MediaStreamPort } from '../../src/calls/index.ts';
import { FLOW, KR_NUMBER, route } from '../../src/calls/testing/call-fixtures.ts';
import {
  FakeDirectory,
  FakeFlows,
  FakeMedia,
  FakeRecorder,
  FakeRouting,
  FakeSignaling,
  address,
  provider,
} from '../../src/calls/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../../src/events/index.ts';
import { FakeClock, NIL_UUID } from '../../src/shared/index.ts';
import { CallStoreAdapter } from '../../src/telephony/persistence/call-store-adapter.ts';

/** How the calls API is built. */
export interface CallsApiOptions {
  /** Prefix of the data folder's name. */
  name?: string;
  /** The media stream port of the CallService (none by default). */
  streams?: MediaStreamPort;
  /** The read-only media tap of `GET /calls/{id}/media_stream`, over the service. */
  mediaTap?: (service: CallService) => CallsApiDeps['mediaTap'];
  /** The hub the calls' committed events go to, also served at `GET /ws` (a hub of its own, not served, by default). */
  events?: EventHub;
  /** Other dependencies of the server. */
  deps?: Partial<ApiDeps>;
  /** Listens on 127.0.0.1 (for WebSocket clients). */
  listen?: boolean;
}

/** The calls API of {@link startCallsApi}. */
export interface CallsApi extends TestServer<FakeClock> {
  service: CallService;
  fakes: {
    signaling: FakeSignaling;
    media: FakeMedia;
    flows: FakeFlows;
    routing: FakeRouting;
    directory: FakeDirectory;
    recorder: FakeRecorder;
  };
  /** `ws://127.0.0.1:<port>` when it listens. */
  wsBase: string;
  /** A `POST /calls` body from +15550001111 to one Korean number into the known flow, with `fields` over it. */
  callBody(fields?: Record<string, unknown>): Record<string, unknown>;
  /** POST /calls as `key`; resolves with the first call created once its INVITE went out (throws unless 200). */
  create(key: string, fields?: Record<string, unknown>): Promise<Call>;
  /** Plays 180 then 200 on the call's last attempt. */
  answer(callId: string): Promise<void>;
  /** A call of `key`'s customer, answered unless `answered` is false. */
  call(key: string, answered?: boolean): Promise<Call>;
}

/**
 * An in-process API with the real CallService on fake signalling, media, flows, routing, directory and
 * recorder, over the real call store adapter and SQLite store. The flow `FLOW` exists, and a platform
 * route sends +82 to provider p1 (so any other destination has no route).
 */
export async function startCallsApi(options: CallsApiOptions = {}): Promise<CallsApi> {
  const base = await openTestStore(new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 0)), options.name);
  const hub = options.events ?? new EventHub();
  const adapter = new CallStoreAdapter({ store: base.store, events: new EventPublisher({ hub }) });
  const fakes = {
    signaling: new FakeSignaling(),
    media: new FakeMedia(),
    flows: new FakeFlows(),
    routing: new FakeRouting(),
    directory: new FakeDirectory(),
    recorder: new FakeRecorder(),
  };
  fakes.flows.knownFlowIds.add(FLOW);
  fakes.routing.providers = [provider('p1')];
  fakes.routing.routes = [route('r1', { provider_id: 'p1', target: '+82', customer_id: NIL_UUID })];
  const streams = options.streams ? { streams: options.streams } : {};
  const service = new CallService({ store: adapter, ...fakes, ...streams, clock: base.clock });
  const mediaTap = options.mediaTap?.(service);
  const server = await startTestServer(base, {
    listen: options.listen === true,
    deps: {
      ...(options.events ? { events: hub } : {}),
      ...options.deps,
      calls: { service, repo: adapter, ...(mediaTap ? { mediaTap } : {}) },
    },
    beforeClose: async () => {
      await service.whenIdle();
      service.close();
    },
  });
  const callBody = (fields: Record<string, unknown> = {}) => ({
    source: address('tel', '+15550001111'),
    destinations: [address('tel', KR_NUMBER)],
    flow_id: FLOW,
    ...fields,
  });
  const create = async (key: string, fields: Record<string, unknown> = {}): Promise<Call> => {
    const res = await server.request('POST', '/v1.0/calls', { key, body: callBody(fields) });
    if (res.status !== 200) throw new Error(`POST /calls answered ${res.status}: ${JSON.stringify(res.body)}`);
    await service.whenIdle();
    return res.body.calls[0] as Call;
  };
  const answer = async (callId: string): Promise<void> => {
    fakes.signaling.last(callId).ring();
    fakes.signaling.last(callId).answer();
    await service.whenIdle();
  };
  return {
    ...server,
    service,
    fakes,
    wsBase: options.listen ? `ws://127.0.0.1:${server.port}` : '',
    callBody,
    create,
    answer,
    call: async (key, answered = true) => {
      const created = await create(key);
      if (answered) await answer(created.id);
      return created;
    },
  };
}
