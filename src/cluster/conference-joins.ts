/**
 * A flow's `conference_join` in a cluster (docs/cluster.md "Conferences across nodes"): a
 * conference whose room is on this node (or whose owner is unknown) is joined here as on one
 * node; one whose room is on another node is joined over a leg between the nodes — admission
 * from the owner, then an INVITE to it carrying the token — bridged to the caller, until that leg ends.
 */
import type { Bus } from '../bus/index.ts';
import type { Call } from '../calls/index.ts';
import type { ConferenceService } from '../conferences/index.ts';
import type { ConferenceFlows, ConferencePort } from '../flows/index.ts';
import { NIL_UUID, NotFoundError, silentLogger } from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { requestAdmission } from './conference-admissions.ts';
import type { OwnerLookup } from './remote-calls.ts';

/** How often a node checks that the remote conference its caller sits in is still progressing. */
export const REMOTE_CONFERENCE_CHECK_MS = 2_000;

/** One leg from this node into the room of another node. */
export interface RemoteJoinRequest {
  callId: string;
  conferenceId: string;
  sipUri: string;
  token: string;
}

/** The SIP side of a remote join (the telephony adapter): resolves when the leg has ended. */
export interface RemoteJoinLegs {
  join(request: RemoteJoinRequest, signal: AbortSignal): Promise<void>;
}

/** Options of {@link ClusterConferenceJoins}. */
export interface ClusterConferenceJoinsOptions {
  nodeId: string;
  bus: Bus;
  local: Pick<ConferenceService, 'join' | 'flowsOf'>;
  /** The owner node of a conference (its row's `node_id`). */
  owners: OwnerLookup;
  calls: {
    get(callId: string): Promise<Pick<Call, 'customer_id'> | undefined>;
    setConference(callId: string, conferenceId: string): Promise<void>;
  };
  /** The stored status of a conference (the owner's, or the one a survivor stored when the owner died). */
  statusOf(conferenceId: string): Promise<string | undefined>;
  legs: RemoteJoinLegs;
  clock: Clock;
  /** Default {@link REMOTE_CONFERENCE_CHECK_MS}. */
  checkMs?: number;
  logger?: Logger;
}

/** The flows module's ConferencePort in a cluster. */
export class ClusterConferenceJoins implements ConferencePort {
  readonly #o: ClusterConferenceJoinsOptions;
  readonly #logger: Logger;

  constructor(options: ClusterConferenceJoinsOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-joins' });
  }

  flowsOf(customerId: string, conferenceId: string): Promise<ConferenceFlows | undefined> {
    return this.#o.local.flowsOf(customerId, conferenceId);
  }

  async join(
    callId: string,
    conferenceId: string,
    signal: AbortSignal,
    joiner: { activeflowId?: string } = {},
  ): Promise<void> {
    signal.throwIfAborted();
    const owner = await this.#o.owners.ownerOf(conferenceId);
    if (owner === undefined || owner === '' || owner === this.#o.nodeId)
      return this.#o.local.join(callId, conferenceId, signal, joiner);
    const call = await this.#o.calls.get(callId);
    if (!call) throw new NotFoundError('CALL_NOT_FOUND', `call ${callId} not found`);
    const grant = await requestAdmission(this.#o.bus, owner, { conferenceId, callId, customerId: call.customer_id });
    // The room's end reaches this leg as a BYE; a check of the stored status covers an owner that died.
    const ended = new AbortController();
    const watch = this.#watch(conferenceId, ended);
    await this.#tellCall(callId, conferenceId);
    try {
      await this.#o.legs.join({ callId, conferenceId, ...grant }, AbortSignal.any([signal, ended.signal]));
    } catch (err) {
      if (signal.aborted || !ended.signal.aborted) throw err;
    } finally {
      watch.stop();
      await this.#tellCall(callId, NIL_UUID);
    }
    signal.throwIfAborted();
  }

  #watch(conferenceId: string, ended: AbortController): { stop(): void } {
    const { clock } = this.#o;
    const everyMs = this.#o.checkMs ?? REMOTE_CONFERENCE_CHECK_MS;
    let stopped = false;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const check = (): void => {
      this.#o.statusOf(conferenceId).then(
        (status) => {
          if (stopped) return;
          if (status !== 'progressing') return ended.abort(new Error(`conference ${conferenceId} is ${status}`));
          timer = clock.setTimeout(check, everyMs);
        },
        (err: unknown) => {
          this.#logger.debug({ err, conferenceId }, 'remote conference status not read');
          if (!stopped) timer = clock.setTimeout(check, everyMs);
        },
      );
    };
    timer = clock.setTimeout(check, everyMs);
    return {
      stop: () => {
        stopped = true;
        clock.clearTimeout(timer);
      },
    };
  }

  async #tellCall(callId: string, conferenceId: string): Promise<void> {
    await this.#o.calls
      .setConference(callId, conferenceId)
      .catch((err: unknown) => this.#logger.debug({ err, callId }, 'call not told of its conference'));
  }
}
