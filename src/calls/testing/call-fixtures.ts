import { NIL_UUID } from '../../shared/index.ts';
import type { Call } from '../call.ts';
import type { OutgoingCallRequest } from '../outgoing-call.ts';
import type { Route } from '../ports.ts';
import { FakeIncomingLeg, address, type makeHarness, provider } from './fake-ports.ts';

/** The customer every fixture call belongs to. */
export const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';

/** A flow id the fake flows know. */
export const FLOW = '11111111-1111-4111-8111-111111111111';

/** A Korean mobile number (country code +82). */
export const KR_NUMBER = '+821012345678';

/** The test harness type. */
export type Harness = ReturnType<typeof makeHarness>;

/** A route row with test defaults. */
export function route(id: string, fields: Partial<Route> & Pick<Route, 'provider_id'>): Route {
  return { id, customer_id: CUSTOMER, priority: 1, target: 'all', tm_create: '2026-01-01T00:00:00.000Z', ...fields };
}

/** Gives the harness `count` customer routes to +82 on providers p1..pN, tried in that order. */
export function useRoutes(h: Harness, count: number): void {
  h.routing.providers = Array.from({ length: count }, (_, i) => provider(`p${i + 1}`));
  h.routing.routes = Array.from({ length: count }, (_, i) =>
    route(`r${i + 1}`, { provider_id: `p${i + 1}`, target: '+82', priority: i + 1 }),
  );
}

/** A `POST /calls` body to one destination. */
export function outgoingRequest(fields: Partial<OutgoingCallRequest> = {}): OutgoingCallRequest {
  return {
    customer_id: CUSTOMER,
    source: address('tel', '+15550001111'),
    destinations: [address('tel', KR_NUMBER)],
    flow_id: FLOW,
    ...fields,
  };
}

/** Creates one outgoing call and lets its first INVITE go out. */
export async function dialOne(h: Harness, fields: Partial<OutgoingCallRequest> = {}): Promise<Call> {
  const [call] = await h.service.createOutgoing(outgoingRequest(fields));
  await h.service.whenIdle();
  if (!call) throw new Error('no call created');
  return call;
}

/** The current state of a call (live or stored). */
export async function current(h: Harness, callId: string): Promise<Call> {
  const call = await h.service.get(callId);
  if (!call) throw new Error(`call ${callId} not found`);
  return call;
}

/** Plays 180 then 200 on the call's last attempt. */
export async function answerOutgoing(h: Harness, callId: string): Promise<void> {
  h.signaling.last(callId).ring();
  h.signaling.last(callId).answer();
  await h.service.whenIdle();
}

/** Accepts an incoming call from `+15550002222` to `+15550003333` on a fresh fake leg. */
export async function acceptOne(h: Harness): Promise<{ call: Call; leg: FakeIncomingLeg }> {
  const leg = new FakeIncomingLeg();
  const call = await h.service.acceptIncoming({
    customer_id: CUSTOMER,
    source: address('tel', '+15550002222'),
    destination: address('tel', '+15550003333'),
    flow: { flow_id: FLOW },
    leg,
  });
  await h.service.whenIdle();
  return { call, leg };
}

export { NIL_UUID };
