import type { FastifyRequest } from 'fastify';
import type { Clock, Logger, OverloadGuard } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import type { EventHub, EventStreamLimits } from '../events/index.ts';
import type { Principal } from './auth.ts';
import type { ActiveflowsApiDeps } from './routes/activeflows-deps.ts';
import type { CallsApiDeps } from './routes/calls-deps.ts';
import type { ConferencesApiDeps } from './routes/conferences-deps.ts';
import type { GroupcallsApiDeps } from './routes/groupcalls-deps.ts';
import type { RecordingsApiDeps } from './routes/recordings-deps.ts';
import type { TimelineApiDeps } from './routes/timeline-deps.ts';
import type { Authenticator } from './auth.ts';
import { ApiError } from './errors.ts';

/** What the API needs from the outside, passed in by main.ts. */
export interface ApiDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Secret for login tokens (HS256). */
  jwtSecret: Buffer;
  sipDomain: string;
  mode: 'local' | 'production';
  rateLimitPerSec: number;
  rateLimitBurst: number;
  /** Whether the TTS engine speaks a BCP-47 language (validates `talk`). */
  isSupportedLanguage?: (tag: string) => boolean;
  /** Called after a provider was created, changed or deleted (SIP caches of provider addresses). */
  onProvidersChanged?: () => void;
  /** Called after a customer was deleted: ends its live calls and activeflows (the store already deleted what it owned). */
  onCustomerDeleted?: (customerId: string) => void;
  /** The voices the TTS engine speaks (`GET /tts/voices`). */
  ttsVoices?: () => readonly { language: string; gender: string; voice_id: string; name: string }[];
  /** Extra Prometheus text appended to /metrics by other modules (SIP, media). */
  metricsText?: () => Promise<string> | string;
  /** Committed events for `GET /ws` and the delivery worker's wake-up on redeliver. */
  events?: EventHub;
  /** Limits of `GET /ws` sessions (heartbeat, send buffer, resume window). */
  eventStreamLimits?: Partial<EventStreamLimits>;
  /**
   * Admission of new calls: `POST /calls` is 503 `OVERLOADED` while it refuses, `NODE_DRAINING` and
   * `/health` 503 while the node drains (docs/security.md "Overload").
   */
  admission?: Pick<OverloadGuard, 'refuse' | 'draining'>;
  /** The calls service and stored calls behind `/calls` (503 `CALLS_UNAVAILABLE` without them). */
  calls?: CallsApiDeps;
  /** The flow engine and stored activeflows behind `/activeflows` (503 `FLOW_ENGINE_UNAVAILABLE` without them). */
  activeflows?: ActiveflowsApiDeps;
  /** The recording service and stored recordings behind `/recordings` and `/recordingfiles` (503 `RECORDINGS_UNAVAILABLE` without them). */
  recordings?: RecordingsApiDeps;
  /** The conference service and stored conferences behind `/conferences` and `/conferencecalls` (503 `CONFERENCES_UNAVAILABLE` without them). */
  conferences?: ConferencesApiDeps;
  /** The groupcall service and stored groupcalls behind `/groupcalls` (503 `CALLS_UNAVAILABLE` without them). */
  groupcalls?: GroupcallsApiDeps;
  /** The bound SIP-over-WebSocket ports the softphone page (`/phone`) signs in over; absent when off. */
  sipWebSocket?: { wsPort?: number | undefined; wssPort?: number | undefined };
  /** The timeline recorder of this process: flushed before a timeline is read (docs/timeline.md). */
  timeline?: TimelineApiDeps;
}

/** Per-server state shared by route plugins. */
export interface ApiContext extends ApiDeps {
  auth: Authenticator;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The authenticated principal of a request (set by the auth hook). */
export function principalOf(req: FastifyRequest): Principal {
  const p = req.principal;
  if (!p) throw new ApiError('AUTHENTICATION_REQUIRED', 'this endpoint needs an access key or a login token');
  return p;
}
