import { InvalidStateError, hasCode } from '../shared/index.ts';
import type { ErrorCode, Logger } from '../shared/index.ts';
import type { Address } from './address.ts';
import type { Call } from './call.ts';
import type { CallEvent } from './call-events.ts';
import type { LocalHangup } from './call-ending.ts';
import type { OutgoingCallRequest } from './outgoing-call.ts';
import type { FlowSource, MediaPort } from './ports.ts';
import type { Transfer } from './transfer.ts';

/** The CallService operations a transfer composes (CallService implements them). */
export interface TransferCalls {
  get(callId: string): Promise<Call | undefined>;
  legId(callId: string): string | undefined;
  createOutgoing(request: OutgoingCallRequest): Promise<Call[]>;
  hangup(callId: string, request?: LocalHangup): Promise<Call>;
  setHold(callId: string, on: boolean): Promise<Call>;
  redirect(callId: string, source: FlowSource, variables?: Record<string, string>): Promise<Call>;
  /** Takes `chainedId` out of `masterId`'s chain: the master's end no longer ends it (docs/calls.md "Chaining"). */
  unchain(masterId: string, chainedId: string): Promise<Call>;
  onEvent(listener: (event: CallEvent) => void): () => void;
}

/**
 * The flow of a call that only waits to be bridged: the transferee's call, and the caller's call once
 * transferred (its former flow, usually a `connect`, would otherwise end with the agent's call and
 * hang the caller up). One hour, the longest a `sleep` may last.
 */
export const WAIT_ACTIONS: readonly Record<string, unknown>[] = [{ type: 'sleep', option: { duration: 3_600_000 } }];

/** What one transfer step needs: the calls, their media and a logger. */
export interface TransferStepContext {
  calls: TransferCalls;
  media: MediaPort;
  logger: Logger;
}

/** Codes meaning the call is gone already, which a cleanup step accepts. */
const GONE_CODES: readonly ErrorCode[] = [
  'CALL_ALREADY_HANGUP',
  'CALL_NOT_FOUND',
  'CALL_STATE_INVALID',
  'LEG_NOT_ESTABLISHED',
  'MEDIA_LEG_NOT_FOUND',
];

/** Runs a step whose failure must not stop the transfer (the call may have ended meanwhile); logs it. */
async function bestEffort(ctx: TransferStepContext, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (GONE_CODES.some((code) => hasCode(err, code))) ctx.logger.debug({ err }, `transfer: ${what} skipped`);
    else ctx.logger.warn({ err }, `transfer: ${what} failed`);
  }
}

/** The caller id the transferee sees: whom the caller's far end is. */
export function callerIdOf(caller: Call): Address {
  return caller.direction === 'incoming' ? caller.source : caller.destination;
}

/** Takes the caller from the agent: unbridged, hold music playing; for `blind` the agent's leg goes on hold too. */
export async function parkCaller(ctx: TransferStepContext, transfer: Transfer): Promise<boolean> {
  const callerLeg = ctx.calls.legId(transfer.transferred_call_id);
  const agentLeg = ctx.calls.legId(transfer.transferer_call_id);
  if (callerLeg && agentLeg)
    await bestEffort(ctx, 'unbridge caller and agent', () => ctx.media.unbridge(callerLeg, agentLeg));
  // The caller is never left in silence (docs/calls.md "Transfer"): music while the transferee rings.
  if (callerLeg) await bestEffort(ctx, 'music to the caller', () => ctx.media.setMusicOnHold(callerLeg, true));
  if (transfer.type !== 'blind') return false;
  let held = false;
  await bestEffort(ctx, 'hold the agent', async () => {
    await ctx.calls.setHold(transfer.transferer_call_id, true);
    held = true;
  });
  return held;
}

/** Attended: the agent talks to the transferee that answered. */
export async function bridgeAgentToTransferee(ctx: TransferStepContext, transfer: Transfer): Promise<void> {
  const agentLeg = ctx.calls.legId(transfer.transferer_call_id);
  const transfereeLeg = ctx.calls.legId(transfer.transferee_call_id);
  if (agentLeg && transfereeLeg)
    await bestEffort(ctx, 'bridge agent and transferee', () => ctx.media.bridge(agentLeg, transfereeLeg));
}

/**
 * Completion: the caller is bridged to the transferee and its flow becomes a wait (so the end of the
 * agent's call does not end it). False when the caller or the transferee has no media leg any more.
 */
export async function joinCallerToTransferee(ctx: TransferStepContext, transfer: Transfer): Promise<boolean> {
  const callerLeg = ctx.calls.legId(transfer.transferred_call_id);
  const transfereeLeg = ctx.calls.legId(transfer.transferee_call_id);
  if (!callerLeg || !transfereeLeg) return false;
  await ctx.media.bridge(callerLeg, transfereeLeg);
  await bestEffort(ctx, 'stop the music to the caller', () => ctx.media.setMusicOnHold(callerLeg, false));
  await bestEffort(ctx, "replace the caller's flow", () =>
    ctx.calls.redirect(transfer.transferred_call_id, { actions: WAIT_ACTIONS }),
  );
  return true;
}

/** The agent is done: its call hangs up (after `transfer_completed`, so a referring phone hears of it first). */
export async function hangUpAgent(ctx: TransferStepContext, transfer: Transfer): Promise<void> {
  await bestEffort(ctx, "hang up the agent's call", () => ctx.calls.hangup(transfer.transferer_call_id));
}

/** Failure or cancel: the transferee's call ends and the caller talks to the agent again. */
export async function reconnectCallerToAgent(
  ctx: TransferStepContext,
  transfer: Transfer,
  agentHeld: boolean,
): Promise<void> {
  await bestEffort(ctx, "hang up the transferee's call", () => ctx.calls.hangup(transfer.transferee_call_id));
  const callerLeg = ctx.calls.legId(transfer.transferred_call_id);
  if (agentHeld) await bestEffort(ctx, 'unhold the agent', () => ctx.calls.setHold(transfer.transferer_call_id, false));
  const agentLeg = ctx.calls.legId(transfer.transferer_call_id);
  if (callerLeg && agentLeg)
    await bestEffort(ctx, 'bridge caller and agent again', () => ctx.media.bridge(callerLeg, agentLeg));
  if (callerLeg)
    await bestEffort(ctx, 'stop the music to the caller', () => ctx.media.setMusicOnHold(callerLeg, false));
}

/** After completion one of the bridged pair hung up: the bridge is over, so the other's call ends too. */
export async function endOtherAfterCompletion(
  ctx: TransferStepContext,
  transfer: Transfer,
  endedId: string,
): Promise<void> {
  const other = endedId === transfer.transferee_call_id ? transfer.transferred_call_id : transfer.transferee_call_id;
  await bestEffort(ctx, "hang up the bridged call's peer", () => ctx.calls.hangup(other));
}

/** Throws 409 unless `call` is answered (`progressing`): only talking parties can be transferred. */
export function requireProgressing(call: Call, field: string): void {
  if (call.status === 'hangup')
    throw new InvalidStateError(`call ${call.id} (${field}) is already hung up`, 'CALL_ALREADY_HANGUP');
  if (call.status !== 'progressing')
    throw new InvalidStateError(
      `a transfer needs answered calls; call ${call.id} (${field}) is ${call.status}`,
      'CALL_STATE_INVALID',
    );
}
