import { InvalidStateError, NIL_UUID, NotFoundError, hasCode } from '../shared/index.ts';
import type { Address } from './address.ts';
import type { Call } from './call.ts';
import { WAIT_ACTIONS, requireProgressing } from './transfer-steps.ts';
import type { TransferCalls, TransferStepContext } from './transfer-steps.ts';

/**
 * An attended transfer finished by a phone with REFER and Replaces (RFC 5589 §7, RFC 3891): the
 * transferer A talks to the caller B on one call and to the transferee C on another; the REFER came
 * on the first call's dialog and its Replaces names the second's. Both are calls of A's phone.
 */
export interface ReplaceRequest {
  customer_id: string;
  /** A's call the REFER came on (bridged to the caller B). */
  transferer_call_id: string;
  /** A's call whose dialog the Replaces names (bridged to the transferee C). */
  replaced_call_id: string;
}

/** One of A's calls and the one far end it is bridged to, and which of the two is the other's master. */
export interface Pairing {
  own: Call;
  peer: Call;
  /** True when A's call is the master the peer is chained to (A dialled it, e.g. by `connect`). */
  ownIsMaster: boolean;
}

/** The four calls of a REFER with Replaces: A's call to B (`agent`) and A's call to C (`consult`). */
export interface ReplaceParties {
  agent: Pairing;
  consult: Pairing;
}

/** The calls a transfer by Replaces takes part in, so no second transfer takes them meanwhile. */
export function replacePartyIds(p: ReplaceParties): string[] {
  return [p.agent.own.id, p.agent.peer.id, p.consult.own.id, p.consult.peer.id];
}

/** The address of a call's far end: whom callbin talks to on it. */
export function farEndOf(call: Call): Address {
  return call.direction === 'incoming' ? call.source : call.destination;
}

/** The customer's call, or 404 `CALL_NOT_FOUND` (another customer's call is not found either). */
async function ownCall(calls: TransferCalls, customerId: string, callId: string): Promise<Call> {
  const call = await calls.get(callId);
  if (!call || call.customer_id !== customerId)
    throw new NotFoundError('CALL_NOT_FOUND', `call ${callId} does not exist`);
  return call;
}

/** The one answered call `own` is chained to or that is chained to it, with a media leg. */
async function pairOf(calls: TransferCalls, own: Call, field: string): Promise<Pairing> {
  requireProgressing(own, field);
  if (calls.legId(own.id) === undefined)
    throw new InvalidStateError(`call ${own.id} (${field}) has no media leg in this process`, 'CALL_STATE_INVALID');
  const ownIsMaster = own.master_call_id === NIL_UUID;
  const candidates = ownIsMaster ? own.chained_call_ids : [own.master_call_id];
  const peers: Call[] = [];
  for (const id of candidates) {
    const call = await calls.get(id);
    if (call?.status === 'progressing' && calls.legId(call.id) !== undefined) peers.push(call);
  }
  const [peer] = peers;
  if (!peer || peers.length > 1) {
    throw new InvalidStateError(
      `call ${own.id} (${field}) is not talking to exactly one other call (${peers.length})`,
      'TRANSFER_NOT_SUPPORTED',
    );
  }
  return { own, peer, ownIsMaster };
}

/**
 * Checks a REFER with Replaces and finds its four calls: A's two calls must be the customer's
 * (another customer's call is `CALL_NOT_FOUND`), answered (an early dialog cannot be replaced:
 * `CALL_STATE_INVALID`; RFC 3891 §3), distinct, and each talking to exactly one other call.
 */
export async function replaceParties(calls: TransferCalls, request: ReplaceRequest): Promise<ReplaceParties> {
  const agentCall = await ownCall(calls, request.customer_id, request.transferer_call_id);
  const consultCall = await ownCall(calls, request.customer_id, request.replaced_call_id);
  if (agentCall.id === consultCall.id) {
    throw new InvalidStateError(
      `the Replaces names the dialog the REFER came on (call ${agentCall.id})`,
      'TRANSFER_NOT_SUPPORTED',
    );
  }
  const agent = await pairOf(calls, agentCall, 'transferer_call_id');
  const consult = await pairOf(calls, consultCall, 'replaced_call_id');
  const ids = new Set(replacePartyIds({ agent, consult }));
  if (ids.size !== 4) {
    throw new InvalidStateError(
      `calls ${agentCall.id} and ${consultCall.id} are talking to each other or to the same call`,
      'TRANSFER_NOT_SUPPORTED',
    );
  }
  return { agent, consult };
}

/** Runs a cleanup step that may find its call gone already; logs anything else. */
async function tolerant(ctx: TransferStepContext, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const gone = ['CALL_ALREADY_HANGUP', 'CALL_NOT_FOUND', 'CALL_STATE_INVALID', 'MEDIA_LEG_NOT_FOUND'] as const;
    if (gone.some((code) => hasCode(err, code))) ctx.logger.debug({ err }, `transfer: ${what} skipped`);
    else ctx.logger.warn({ err }, `transfer: ${what} failed`);
  }
}

/**
 * Bridges the caller B (`transferred_call_id`) with the transferee C (`transferee_call_id`), whose
 * calls then no longer follow A's: each is taken out of the chain of A's call when A dialled it (so
 * neither the chaining cascade nor A's `connect` ends it). False when either has no media leg any more.
 */
export async function joinReplaced(ctx: TransferStepContext, parties: ReplaceParties): Promise<boolean> {
  const { agent, consult } = parties;
  const legs = {
    agentOwn: ctx.calls.legId(agent.own.id),
    agentPeer: ctx.calls.legId(agent.peer.id),
    consultOwn: ctx.calls.legId(consult.own.id),
    consultPeer: ctx.calls.legId(consult.peer.id),
  };
  if (!legs.agentPeer || !legs.consultPeer) return false;
  for (const pair of [agent, consult]) {
    if (pair.ownIsMaster) await ctx.calls.unchain(pair.own.id, pair.peer.id);
  }
  const { agentOwn, agentPeer, consultOwn, consultPeer } = legs;
  if (agentOwn) await tolerant(ctx, 'unbridge caller and transferer', () => ctx.media.unbridge(agentOwn, agentPeer));
  if (consultOwn)
    await tolerant(ctx, 'unbridge transferee and transferer', () => ctx.media.unbridge(consultOwn, consultPeer));
  await ctx.media.bridge(agentPeer, consultPeer);
  return true;
}

/**
 * After `transfer_completed` told A's phone: a far end that dialled A (its flow a `connect` to A's
 * call) gets a flow that only waits, so A's call ending does not end it; then A's calls end (a BYE
 * on each of A's dialogs, RFC 5589 §7).
 */
export async function hangUpTransferer(ctx: TransferStepContext, parties: ReplaceParties): Promise<void> {
  for (const pair of [parties.agent, parties.consult]) {
    if (!pair.ownIsMaster)
      await tolerant(ctx, "replace the far end's flow", () =>
        ctx.calls.redirect(pair.peer.id, { actions: WAIT_ACTIONS }),
      );
  }
  for (const pair of [parties.agent, parties.consult])
    await tolerant(ctx, "hang up the transferer's call", () => ctx.calls.hangup(pair.own.id));
}

/** The bridge failed: each of A's calls is bridged back to its far end. */
export async function restoreReplaced(ctx: TransferStepContext, parties: ReplaceParties): Promise<void> {
  for (const pair of [parties.agent, parties.consult]) {
    const own = ctx.calls.legId(pair.own.id);
    const peer = ctx.calls.legId(pair.peer.id);
    if (own && peer) await tolerant(ctx, 'bridge back', () => ctx.media.bridge(own, peer));
  }
}
