import { InvalidStateError, newId } from '../shared/index.ts';
import type { Address } from './address.ts';
import { newCall } from './call.ts';
import type { CallType } from './call.ts';
import { createdChange } from './call-events.ts';
import { armMaxDuration, hangupLocally, onRemoteBye, onRemoteCancel } from './call-ending.ts';
import { LiveCall } from './live-call.ts';
import type { CallRuntime } from './live-call.ts';
import type { FlowSource, IncomingLeg, LegEvents } from './ports.ts';

/** An incoming INVITE the signalling adapter verified and looked up (docs/calls.md "Incoming calls"). */
export interface IncomingCallRequest {
  customer_id: string;
  source: Address;
  destination: Address;
  /** The number's `call_flow_id`, or inline actions (an extension's dialled target is a `connect`). */
  flow: FlowSource;
  leg: IncomingLeg;
  type?: CallType;
  variables?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

/** The SIP status that turns away an incoming call whose flow cannot be created (number without a working flow). */
const FLOW_UNAVAILABLE_SIP_STATUS = 480;

/**
 * Creates the activeflow and the live (not yet stored) call, already `ringing` with `tm_ringing =
 * tm_create`; `openIncoming` stores it and rings. When the flow cannot be created the INVITE is
 * rejected 480 and the error is rethrown: no call object exists.
 */
export async function buildIncoming(rt: CallRuntime, request: IncomingCallRequest): Promise<LiveCall> {
  const id = newId();
  let created: { flow_id: string; activeflow_id: string };
  try {
    created = await rt.flows.create({
      customer_id: request.customer_id,
      call_id: id,
      source: request.flow,
      variables: request.variables ?? {},
    });
  } catch (err) {
    await request.leg
      .reject(FLOW_UNAVAILABLE_SIP_STATUS)
      .catch((rejectErr: unknown) =>
        rt.logger.warn({ err: rejectErr, call_id: id }, 'reject of an incoming call failed'),
      );
    throw err;
  }
  const call = newCall(
    {
      id,
      customer_id: request.customer_id,
      type: request.type ?? 'flow',
      direction: 'incoming',
      source: request.source,
      destination: request.destination,
      status: 'ringing',
      flow_id: created.flow_id,
      activeflow_id: created.activeflow_id,
      ...(request.metadata ? { metadata: request.metadata } : {}),
    },
    rt.clock.now(),
  );
  const live = new LiveCall(call, rt, { incoming: request.leg });
  request.leg.listen(incomingEvents(live));
  return live;
}

function incomingEvents(live: LiveCall): LegEvents {
  const queue = (what: string, op: () => Promise<void>): void =>
    live.background(live.run(op), `call ${live.id}: ${what}`);
  return {
    ringing: () => live.logger.debug('18x reported on an incoming leg; ignored'),
    answered: () => live.logger.debug('2xx reported on an incoming leg; ignored'),
    failed: () => live.logger.debug('attempt failure reported on an incoming leg; ignored'),
    remoteBye: (ending) => queue('BYE', () => onRemoteBye(live, ending?.failed === true)),
    remoteCancel: () => queue('CANCEL', () => onRemoteCancel(live)),
  };
}

/** Stores the new incoming call (`call_created`), sends 180, arms the answer timer and starts the flow at once. */
export async function openIncoming(live: LiveCall): Promise<void> {
  const change = createdChange(live.call);
  await live.rt.store.save([change]);
  live.adopt(change);
  live.rt.published(change.events);
  await live.incoming?.ring();
  live.startTimer('answer', live.rt.timers.incomingAnswerTimeoutMs, async () => {
    if (live.call.status === 'ringing') await hangupLocally(live, { reason: 'noanswer' });
  });
  live.startFlow();
}

/** Answers an unanswered incoming call (200 OK) and moves it to `progressing`; a no-op once answered. */
export async function answerIncoming(live: LiveCall): Promise<void> {
  live.requireLive();
  const { status, direction } = live.call;
  if (status === 'progressing') return;
  if (direction !== 'incoming' || status !== 'ringing') {
    throw new InvalidStateError(
      `call ${live.id} cannot be answered: it is an ${direction} call in status ${status}`,
      'CALL_STATE_INVALID',
    );
  }
  // Stored as answered before the 200 OK leaves: a caller is never told of a state a crash can lose.
  live.clearTimer('answer');
  if (!(await live.move('progressing'))) return;
  try {
    await live.incoming?.answer();
  } catch (err) {
    // The caller CANCELled meanwhile (its INVITE has its final answer already) or never ACKed the 200:
    // stored as answered, the call ends as a failed dialog (docs/calls.md "Hangup reasons").
    await live.endWith('dialog_failed');
    throw err;
  }
  armMaxDuration(live);
}
