/**
 * Any node serves the whole API (docs/cluster.md "Any node serves the whole API"): a command for a
 * live call runs on the node that owns it — here when the call is live here, otherwise on the owner
 * stamped on the call's row, over the bus with a deadline. An owner that does not answer is 503
 * `NODE_UNAVAILABLE`, never a hang. A call whose owner is this node or unknown runs here, which
 * gives the single-node errors.
 */
import type {
  Call,
  CallService,
  DigitsCommand,
  FlowSource,
  LocalHangup,
  MediaStream,
  MediaStreamRequest,
  MuteRequestDirection,
  OutgoingCallRequest,
  RecordingOptions,
  TalkRequest,
} from '../calls/index.ts';
import { NIL_UUID, UnavailableError } from '../shared/index.ts';
import { CommandSender } from './command-sender.ts';
import type { CommandLink, OwnerLookup } from './command-sender.ts';
import { COMMAND_TIMEOUT_MS, MEDIA_STREAM_HANDSHAKE_MS } from './command-wire.ts';
import type { CommandOp } from './command-wire.ts';
import { ClusterTransfers } from './remote-transfers.ts';
import type { TransferEventsLookup } from './remote-transfers.ts';

export type { CommandLink, OwnerLookup } from './command-sender.ts';

export interface ClusterCallsDeps extends CommandLink {
  /** This node's calls service: the calls it holds, and every call whose owner is unknown. */
  local: CallService;
  calls: OwnerLookup;
  transferEvents: TransferEventsLookup;
}

/**
 * The API's live call commands in a cluster (`CallCommands` of `api/routes/calls-deps.ts`): each runs
 * on the node that owns its call.
 */
export class ClusterCalls {
  readonly #local: CallService;
  readonly #owners: OwnerLookup;
  readonly #sender: CommandSender;
  /** For `startMediaStream`, whose answer waits for the bot's handshake. */
  readonly #streamSender: CommandSender;
  /** `/transfers` (docs/calls.md "Transfer"): each transfer runs on the node of its calls. */
  readonly transfers: ClusterTransfers;

  constructor(deps: ClusterCallsDeps) {
    this.#local = deps.local;
    this.#owners = deps.calls;
    this.#sender = new CommandSender(deps);
    const streamTimeoutMs = (deps.timeoutMs ?? COMMAND_TIMEOUT_MS) + MEDIA_STREAM_HANDSHAKE_MS;
    this.#streamSender = new CommandSender({ ...deps, timeoutMs: streamTimeoutMs });
    this.transfers = new ClusterTransfers(deps.local, (id) => this.ownerOf(id), this.#sender, deps.transferEvents);
  }

  /** The node to send a command for `callId` to, or undefined to run it here. */
  async ownerOf(callId: string): Promise<string | undefined> {
    // A call with a leg here is live here: no store read.
    if (this.#local.legId(callId) !== undefined) return undefined;
    const owner = await this.#owners.ownerOf(callId);
    return this.#sender.isRemote(owner) ? owner : undefined;
  }

  /** Chained calls are created on the master's node, which holds the master's dialog and media. */
  async createOutgoing(request: OutgoingCallRequest): Promise<Call[]> {
    const master = request.master_call_id;
    const owner = master === undefined || master === NIL_UUID ? undefined : await this.ownerOf(master);
    if (owner === undefined || master === undefined) return this.#local.createOutgoing(request);
    const req = { op: 'createOutgoing' as const, customerId: request.customer_id, callId: master, args: [request] };
    return (await this.#sender.send(owner, req, `master call ${master}`)) as Call[];
  }

  /** Reads come from this node: the live call when it runs here, otherwise the stored one. */
  get(callId: string): Promise<Call | undefined> {
    return this.#local.get(callId);
  }

  hangup(callId: string, request: LocalHangup | undefined, customerId: string): Promise<Call> {
    return this.#run('hangup', callId, customerId, [request ?? {}], () => this.#local.hangup(callId, request));
  }
  talk(callId: string, request: TalkRequest, customerId: string): Promise<Call> {
    return this.#run('talk', callId, customerId, [request], () => this.#local.talk(callId, request));
  }
  play(callId: string, mediaUrls: readonly string[], customerId: string): Promise<Call> {
    return this.#run('play', callId, customerId, [mediaUrls], () => this.#local.play(callId, mediaUrls));
  }
  stopMedia(callId: string, customerId: string): Promise<Call> {
    return this.#run('stopMedia', callId, customerId, [], () => this.#local.stopMedia(callId));
  }
  setHold(callId: string, on: boolean, mohUrl: string | undefined, customerId: string): Promise<Call> {
    return this.#run('setHold', callId, customerId, [on, mohUrl ?? null], () =>
      this.#local.setHold(callId, on, mohUrl),
    );
  }
  setMusicOnHold(callId: string, on: boolean, mohUrl: string | undefined, customerId: string): Promise<Call> {
    return this.#run('setMusicOnHold', callId, customerId, [on, mohUrl ?? null], () =>
      this.#local.setMusicOnHold(callId, on, mohUrl),
    );
  }
  setMute(callId: string, direction: MuteRequestDirection, on: boolean, customerId: string): Promise<Call> {
    return this.#run('setMute', callId, customerId, [direction, on], () => this.#local.setMute(callId, direction, on));
  }
  setSilence(callId: string, on: boolean, customerId: string): Promise<Call> {
    return this.#run('setSilence', callId, customerId, [on], () => this.#local.setSilence(callId, on));
  }
  startRecording(callId: string, options: RecordingOptions, customerId: string): Promise<Call> {
    return this.#run('startRecording', callId, customerId, [options], () =>
      this.#local.startRecording(callId, options),
    );
  }
  stopRecording(callId: string, customerId: string): Promise<Call> {
    return this.#run('stopRecording', callId, customerId, [], () => this.#local.stopRecording(callId));
  }
  sendDigits(callId: string, command: DigitsCommand, customerId: string): Promise<Call> {
    return this.#run('sendDigits', callId, customerId, [command], () => this.#local.sendDigits(callId, command));
  }
  redirect(callId: string, source: FlowSource, variables: Record<string, string>, customerId: string): Promise<Call> {
    return this.#run('redirect', callId, customerId, [source, variables], () =>
      this.#local.redirect(callId, source, variables),
    );
  }

  /** Opens a stream on the owner, where the call's media is; only the resource comes back (docs/media-streams.md). */
  startMediaStream(callId: string, request: MediaStreamRequest, customerId: string): Promise<{ stream: MediaStream }> {
    const here = async () => {
      const { stream } = await this.#local.startMediaStream(callId, request);
      return { stream };
    };
    return this.#run('startMediaStream', callId, customerId, [request], here, this.#streamSender);
  }
  stopMediaStream(callId: string, streamId: string | undefined, customerId: string): Promise<MediaStream[]> {
    return this.#run('stopMediaStream', callId, customerId, [streamId ?? null], () =>
      this.#local.stopMediaStream(callId, streamId),
    );
  }
  listMediaStreams(callId: string, customerId: string): Promise<MediaStream[]> {
    return this.#run('listMediaStreams', callId, customerId, [], () => this.#local.listMediaStreams(callId));
  }

  async #run<T = Call>(
    op: CommandOp,
    callId: string,
    customerId: string,
    args: unknown[],
    here: () => Promise<T>,
    sender = this.#sender,
  ): Promise<T> {
    const owner = await this.ownerOf(callId);
    if (owner === undefined) return here();
    try {
      return (await sender.send(owner, { op, customerId, callId, args }, `call ${callId}`)) as T;
    } catch (err) {
      // A dead owner's calls are hung up by the survivors (docs/cluster.md "Node health"): then
      // the command gets the single-node answer for a hung-up call, here.
      if (err instanceof UnavailableError && (await this.#local.get(callId))?.status === 'hangup') return here();
      throw err;
    }
  }
}
