// What a LiveCall (live-call.ts) starts with: the outgoing plan (how it dials, how far along its
// routes it got) or the incoming INVITE, and the names of its timers.
import type { IncomingLeg } from './ports.ts';
import type { RouteCandidate } from './routing.ts';

/** How an outgoing call reaches its destination, and how far along its routes it got. */
export interface OutgoingPlan {
  readonly target: 'tel' | 'sip' | 'extension';
  /** The routes in order (tel only); `nextIndex` is the first not yet tried. */
  readonly candidates: readonly RouteCandidate[];
  readonly nextIndex: number;
  /** The route of the running attempt (tel only). */
  readonly current?: RouteCandidate;
  readonly contacts: readonly string[];
  readonly earlyExecution: boolean;
  readonly anonymous: boolean;
  readonly dialTimeoutMs: number;
}

/** What a live call starts with besides its Call: how it dials (outgoing) or the INVITE it answers (incoming). */
export interface LiveCallInit {
  plan?: OutgoingPlan;
  /** The incoming INVITE, for ring/answer/reject; it is also the call's leg. */
  incoming?: IncomingLeg;
  maxDurationMs?: number;
}

/** The named timers of a call. */
export type CallTimerName = 'dial' | 'maxDuration' | 'answer';
