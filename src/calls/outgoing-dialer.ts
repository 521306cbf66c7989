import { AppError } from '../shared/index.ts';
import { armMaxDuration, onRemoteBye } from './call-ending.ts';
import { attemptFailureCause, dialTimerCause, HANGUP_RULES } from './hangup-reasons.ts';
import type { AttemptFailure } from './hangup-reasons.ts';
import type { LiveCall, OutgoingPlan } from './live-call.ts';
import type { DialTarget, LegEvents, OutgoingAttempt } from './ports.ts';
import { closeRunningAttempt, runningAttempt } from './route-attempts.ts';
import { takeNextRoute } from './routing.ts';

function planOf(live: LiveCall): OutgoingPlan {
  const plan = live.plan;
  if (!plan) throw new AppError('INTERNAL', `call ${live.id} is not an outgoing call`);
  return plan;
}

/** Sends the first INVITE of a `dialing` outgoing call and arms its dial timer; runs on the call's queue. */
export async function dialOutgoing(live: LiveCall): Promise<void> {
  if (live.call.status !== 'dialing') return;
  const plan = planOf(live);
  live.startTimer('dial', plan.dialTimeoutMs, () => onDialTimer(live));
  const reachable =
    plan.target === 'tel' ? plan.current !== undefined : plan.target === 'sip' || plan.contacts.length > 0;
  if (!reachable) {
    await live.endWith('unreachable');
    return;
  }
  startAttempt(live);
}

function dialTarget(live: LiveCall, plan: OutgoingPlan): DialTarget {
  const target = live.call.destination.target;
  if (plan.target === 'sip') return { kind: 'sip', uri: target };
  if (plan.target === 'extension') return { kind: 'contacts', extension: target, contacts: plan.contacts };
  if (!plan.current) throw new AppError('INTERNAL', `call ${live.id} has no route to try`);
  return { kind: 'provider', provider: plan.current.provider, number: target };
}

function startAttempt(live: LiveCall): void {
  const plan = planOf(live);
  const { call } = live;
  const request = {
    call_id: call.id,
    customer_id: call.customer_id,
    source: call.source,
    destination: call.destination,
    target: dialTarget(live, plan),
    anonymous: plan.anonymous,
  };
  live.beginAttempt((seq) => {
    const holder: { attempt?: OutgoingAttempt } = {};
    const attempt = live.rt.signaling.dial(request, attemptEvents(live, seq, holder));
    holder.attempt = attempt;
    return attempt;
  });
}

function attemptEvents(live: LiveCall, seq: number, holder: { attempt?: OutgoingAttempt }): LegEvents {
  const queue = (what: string, op: (current: boolean) => Promise<void>): void => {
    live.background(
      live.run(() => op(live.isCurrentAttempt(seq))),
      `call ${live.id}: ${what}`,
    );
  };
  return {
    ringing: (info) => queue('18x', async (current) => (current ? onRinging(live, info.sip_status) : undefined)),
    answered: () => queue('2xx', async (current) => onAnswered(live, current, holder.attempt)),
    failed: (failure) =>
      queue('attempt failure', async (current) => (current ? onAttemptFailed(live, failure) : undefined)),
    remoteBye: (ending) =>
      queue('BYE', async (current) => (current ? onRemoteBye(live, ending?.failed === true) : undefined)),
    remoteCancel: () => live.logger.debug('CANCEL reported on an outgoing leg; ignored'),
  };
}

async function onRinging(live: LiveCall, sipStatus: number): Promise<void> {
  const plan = planOf(live);
  live.markRinging();
  if (live.call.status !== 'dialing') return;
  const moved = await live.move('ringing');
  live.logger.debug({ sip_status: sipStatus, moved }, 'ringing');
  if (moved && plan.earlyExecution) live.startFlow();
}

async function onAnswered(live: LiveCall, current: boolean, attempt: OutgoingAttempt | undefined): Promise<void> {
  const { status } = live.call;
  if (!current || (status !== 'dialing' && status !== 'ringing')) {
    // RFC 3261 §9.1: a 2xx that crossed our CANCEL established a dialog nobody wants; end it.
    if (attempt) live.background(attempt.bye(), `call ${live.id}: BYE after a late 2xx`);
    return;
  }
  live.clearTimer('dial');
  if (attempt) live.markAnswered(attempt);
  const attempts = closeRunningAttempt(live.call.route_attempts, 'answered', 200, live.rt.clock.now());
  if (!(await live.move('progressing', { patch: { route_attempts: attempts } }))) return;
  armMaxDuration(live);
  live.startFlow();
}

function canFailover(live: LiveCall, plan: OutgoingPlan): boolean {
  // No failover (docs/calls.md "Route failover"): incoming calls, conference calls, and calls whose flow already started.
  return (
    live.call.direction === 'outgoing' &&
    live.call.type !== 'conference' &&
    !plan.earlyExecution &&
    plan.target === 'tel'
  );
}

async function onAttemptFailed(live: LiveCall, failure: AttemptFailure): Promise<void> {
  const { status } = live.call;
  if (status !== 'dialing' && status !== 'ringing') return;
  const plan = planOf(live);
  const cause = attemptFailureCause(failure, live.sawRinging);
  const rule = HANGUP_RULES[cause];
  const nowMs = live.rt.clock.now();
  const attempts = closeRunningAttempt(
    live.call.route_attempts,
    rule.hangup_reason,
    failure.kind === 'status' ? failure.sip_status : 0,
    nowMs,
  );
  if (rule.failover && canFailover(live, plan)) {
    const next = takeNextRoute(plan.candidates, plan.nextIndex, (id) => live.rt.routing.isHealthy(id), nowMs);
    attempts.push(...next.skipped);
    live.advanceRoute(next.nextIndex, next.candidate);
    if (next.candidate) {
      attempts.push(runningAttempt(next.candidate, nowMs));
      await live.update({ route_attempts: attempts });
      startAttempt(live);
      return;
    }
  }
  await live.endWith(cause, { route_attempts: attempts });
}

async function onDialTimer(live: LiveCall): Promise<void> {
  const { status } = live.call;
  if (status !== 'dialing' && status !== 'ringing') return;
  const cause = dialTimerCause(status === 'ringing');
  const attempts = closeRunningAttempt(
    live.call.route_attempts,
    HANGUP_RULES[cause].hangup_reason,
    0,
    live.rt.clock.now(),
  );
  const attempt = live.attempt;
  if (attempt)
    await attempt
      .cancel()
      .catch((err: unknown) => live.logger.warn({ err }, 'CANCEL after dial timeout failed; the call ends anyway'));
  await live.endWith(cause, { route_attempts: attempts });
}
