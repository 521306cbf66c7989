/**
 * Serves `callbin.node.<this node>.cmd` (docs/cluster.md "Any node serves the whole API"): the
 * commands other nodes send for the live calls, transfers, activeflows, conference rooms and groupcalls this
 * node holds, run on the local services. Only the ops of `COMMAND_OPS` run; the customer named on
 * the wire is checked against what this node holds, with the API's 404 when it is not its own.
 * Every request gets a reply: a bad one is an error reply, never a throw.
 */
import { nodeCommandSubject } from '../bus/index.ts';
import type { Bus } from '../bus/index.ts';
import { MEDIA_STREAM_FORMATS, MEDIA_STREAM_LISTEN, MEDIA_STREAM_SPEAK } from '../calls/index.ts';
import type {
  CallService,
  DigitsCommand,
  GroupcallService,
  FlowSource,
  LocalHangup,
  MediaStreamRequest,
  MuteRequestDirection,
  OutgoingCallRequest,
  RecordingOptions,
  TalkRequest,
  TransferRequest,
} from '../calls/index.ts';
import type { ConferencePatch, ConferenceService } from '../conferences/index.ts';
import type { FlowEngine } from '../flows/index.ts';
import { InvalidStateError, NotFoundError, ValidationError } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import { errorToWire, parseCommand } from './command-wire.ts';
import type { CommandOp, CommandReply, CommandRequest } from './command-wire.ts';

/** The local services the commands run on. */
export interface CommandServerDeps {
  calls: CallService;
  flows: Pick<FlowEngine, 'get' | 'stop'>;
  conferences: Pick<ConferenceService, 'kick' | 'setMuted' | 'update' | 'delete'>;
  /** The groupcalls this node runs; without them, a groupcall command is the 409 of a groupcall run elsewhere. */
  groupcalls?: Pick<GroupcallService, 'hangup'>;
  logger: Logger;
}

type Handler = (deps: CommandServerDeps, req: CommandRequest) => Promise<unknown>;

function badArgs(op: CommandOp, what: string): ValidationError {
  return ValidationError.field('args', 'INVALID_ARGUMENT', `${op}: ${what}`);
}

function objectArg<T>(req: CommandRequest, i: number): T {
  const value = req.args[i];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badArgs(req.op, `argument ${i} is not an object`);
  return value as T;
}

function boolArg(req: CommandRequest, i: number): boolean {
  const value = req.args[i];
  if (typeof value !== 'boolean') throw badArgs(req.op, `argument ${i} is not a boolean`);
  return value;
}

function stringArg(req: CommandRequest, i: number): string {
  const value = req.args[i];
  if (typeof value !== 'string') throw badArgs(req.op, `argument ${i} is not a string`);
  return value;
}

/** A string argument that may be absent (null or undefined on the wire). */
function optionalStringArg(req: CommandRequest, i: number): string | undefined {
  return req.args[i] === null || req.args[i] === undefined ? undefined : stringArg(req, i);
}

function stringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** A stream request as the sender's API or flow resolved it, its types checked again. */
function streamRequestArg(req: CommandRequest, i: number): MediaStreamRequest {
  const r = objectArg<Record<string, unknown>>(req, i);
  const oneOf = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);
  if (
    typeof r.url !== 'string' ||
    !oneOf(MEDIA_STREAM_FORMATS, r.format) ||
    !oneOf(MEDIA_STREAM_LISTEN, r.listen) ||
    !oneOf(MEDIA_STREAM_SPEAK, r.speak) ||
    !stringRecord(r.custom_parameters) ||
    !stringRecord(r.variables) ||
    typeof r.activeflow_id !== 'string'
  )
    throw badArgs(req.op, `argument ${i} is not a media stream request`);
  const { url, format, listen, speak, custom_parameters, variables, activeflow_id } =
    r as unknown as MediaStreamRequest;
  return { url, format, listen, speak, custom_parameters, variables, activeflow_id };
}

/** The call `req.callId` when it is the customer's, otherwise the API's 404 for it. */
async function ownCall(deps: CommandServerDeps, req: CommandRequest): Promise<string> {
  const call = await deps.calls.get(req.callId);
  if (!call || call.customer_id !== req.customerId)
    throw new NotFoundError('CALL_NOT_FOUND', `call ${req.callId} not found`);
  return call.id;
}

/** A call control: the customer's call, then the CallService operation. */
function control(run: (calls: CallService, callId: string, req: CommandRequest) => Promise<unknown>): Handler {
  return async (deps, req) => run(deps.calls, await ownCall(deps, req), req);
}

/** The allow-list: each op and the local operation it runs. */
const HANDLERS: Record<CommandOp, Handler> = {
  // The customer is the one on the wire; CallService checks the master is that customer's.
  createOutgoing: (deps, req) =>
    deps.calls.createOutgoing({
      ...objectArg<OutgoingCallRequest>(req, 0),
      customer_id: req.customerId,
      master_call_id: req.callId,
    }),
  hangup: control((calls, id, req) => calls.hangup(id, objectArg<LocalHangup>(req, 0))),
  talk: control((calls, id, req) => calls.talk(id, objectArg<TalkRequest>(req, 0))),
  play: control((calls, id, req) => {
    const urls = req.args[0];
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))
      throw badArgs(req.op, 'argument 0 is not a list of URLs');
    return calls.play(id, urls as string[]);
  }),
  stopMedia: control((calls, id) => calls.stopMedia(id)),
  setHold: control((calls, id, req) => calls.setHold(id, boolArg(req, 0), optionalStringArg(req, 1))),
  setMusicOnHold: control((calls, id, req) => calls.setMusicOnHold(id, boolArg(req, 0), optionalStringArg(req, 1))),
  setMute: control((calls, id, req) => calls.setMute(id, stringArg(req, 0) as MuteRequestDirection, boolArg(req, 1))),
  setSilence: control((calls, id, req) => calls.setSilence(id, boolArg(req, 0))),
  startRecording: control((calls, id, req) => calls.startRecording(id, objectArg<RecordingOptions>(req, 0))),
  stopRecording: control((calls, id) => calls.stopRecording(id)),
  sendDigits: control((calls, id, req) => calls.sendDigits(id, objectArg<DigitsCommand>(req, 0))),
  redirect: control((calls, id, req) =>
    calls.redirect(id, objectArg<FlowSource>(req, 0), objectArg<Record<string, string>>(req, 1)),
  ),
  // Only the resource crosses the wire: the stream's end stays on the node that runs it.
  startMediaStream: control(async (calls, id, req) => {
    const { stream } = await calls.startMediaStream(id, streamRequestArg(req, 0));
    return { stream };
  }),
  stopMediaStream: control((calls, id, req) => {
    const streamId = req.args[0] ?? undefined;
    if (streamId !== undefined && typeof streamId !== 'string') throw badArgs(req.op, 'argument 0 is not a stream id');
    return calls.stopMediaStream(id, streamId);
  }),
  listMediaStreams: control((calls, id) => calls.listMediaStreams(id)),
  // TransferService checks that the calls (and the transfer) are the customer's.
  transferCreate: (deps, req) =>
    deps.calls.transfers.create({ ...objectArg<TransferRequest>(req, 0), customer_id: req.customerId }),
  transferGet: async (deps, req) => deps.calls.transfers.get(stringArg(req, 0), req.customerId) ?? null,
  transferComplete: (deps, req) => deps.calls.transfers.complete(stringArg(req, 0), req.customerId),
  transferCancel: (deps, req) => deps.calls.transfers.cancel(stringArg(req, 0), req.customerId),
  activeflowStop: async (deps, req) => {
    const id = stringArg(req, 0);
    const options = objectArg<{ hangupCall?: unknown }>(req, 1);
    const activeflow = await deps.flows.get(id);
    if (!activeflow || activeflow.customer_id !== req.customerId)
      throw new NotFoundError('ACTIVEFLOW_NOT_FOUND', `activeflow ${id} not found`);
    await deps.flows.stop(id, { hangupCall: options.hangupCall === true });
    return null;
  },
  // ConferenceService scopes the conferencecall to the customer (404 for another one's).
  conferencecallKick: (deps, req) => deps.conferences.kick(stringArg(req, 0), { customerId: req.customerId }),
  conferencecallMute: (deps, req) =>
    deps.conferences.setMuted(stringArg(req, 0), { customerId: req.customerId }, boolArg(req, 1)),
  // The room's node updates and ends it (ConferenceService scopes the conference to the customer).
  conferenceUpdate: (deps, req) =>
    deps.conferences.update(stringArg(req, 0), { customerId: req.customerId }, objectArg<ConferencePatch>(req, 1)),
  conferenceDelete: (deps, req) => deps.conferences.delete(stringArg(req, 0), { customerId: req.customerId }),
  // GroupcallService scopes the groupcall to the customer (404 for another one's, 409 once over).
  groupcallHangup: async (deps, req) => {
    const id = stringArg(req, 0);
    if (!deps.groupcalls)
      throw new InvalidStateError(`groupcall ${id} is not run by this node`, 'GROUPCALL_STATE_INVALID');
    return deps.groupcalls.hangup(id, req.customerId);
  },
};

/** Runs one command from the wire and encodes its reply; never throws. */
export async function runCommand(deps: CommandServerDeps, data: string): Promise<string> {
  const parsed = parseCommand(data);
  let reply: CommandReply;
  if (typeof parsed === 'string') {
    reply = { ok: false, error: errorToWire(ValidationError.field('command', 'INVALID_ARGUMENT', parsed)) };
  } else {
    try {
      reply = { ok: true, result: (await HANDLERS[parsed.op](deps, parsed)) ?? null };
    } catch (err) {
      const wire = errorToWire(err);
      if (wire.code === 'INTERNAL') deps.logger.error({ err, op: parsed.op, call_id: parsed.callId }, 'command failed');
      reply = { ok: false, error: wire };
    }
  }
  return JSON.stringify(reply);
}

/** Serves this node's command subject; returns the function that stops serving. */
export function startCommandServer(deps: CommandServerDeps & { bus: Bus; nodeId: string }): () => void {
  return deps.bus.serve(nodeCommandSubject(deps.nodeId), (data) => runCommand(deps, data));
}
