import type {
  Call,
  DigitsCommand,
  FlowSource,
  ListenTrack,
  LocalHangup,
  MediaStream,
  MediaStreamRequest,
  MuteRequestDirection,
  OutgoingCallRequest,
  RecordingOptions,
  TalkRequest,
  Transfer,
  TransferRequest,
} from '../../calls/index.ts';
import type { CallListOptions, Page, Scope } from '../../store/index.ts';

/** Stored calls as the API reads and deletes them (the telephony CallStoreAdapter implements this). */
export interface CallRecords {
  /** A not-deleted call within the scope. */
  get(callId: string, scope: Scope): Promise<Call | undefined>;
  /** One customer's not-deleted calls, newest first. */
  list(options: CallListOptions): Promise<Page<Call>>;
  /** Hide the call from lists and publish `call_deleted`; undefined when not found in the scope. */
  delete(callId: string, scope: Scope): Promise<(Call & { tm_delete: string }) | undefined>;
}

/**
 * Transfers as `/transfers` drives them: CallService's TransferService on one node; in a cluster
 * the node that runs the transfer's calls (docs/cluster.md "Any node serves the whole API").
 */
export interface TransferCommands {
  create(request: TransferRequest): Promise<Transfer>;
  /** The transfer as it is now, or undefined (also for another customer's transfer). */
  get(transferId: string, customerId: string): Transfer | undefined | Promise<Transfer | undefined>;
  complete(transferId: string, customerId: string): Promise<Transfer>;
  cancel(transferId: string, customerId: string): Promise<Transfer>;
}

/**
 * The live call commands the API gives (docs/calls.md "Live control endpoints"): CallService on one
 * node; in a cluster an implementation that runs each on the node that owns the call. A command's
 * last argument is the customer of the call, which the API has checked already; a node that runs the
 * command for another one checks it again. CallService holds only its own live calls and ignores it.
 */
export interface CallCommands {
  /** Creates and dials calls (chained onto `master_call_id` when given). */
  createOutgoing(request: OutgoingCallRequest): Promise<Call[]>;
  /** The call as it is now: live when it runs here, otherwise stored. */
  get(callId: string): Promise<Call | undefined>;
  hangup(callId: string, request: LocalHangup | undefined, customerId: string): Promise<Call>;
  talk(callId: string, request: TalkRequest, customerId: string): Promise<Call>;
  play(callId: string, mediaUrls: readonly string[], customerId: string): Promise<Call>;
  stopMedia(callId: string, customerId: string): Promise<Call>;
  /** `mohUrl`: the call's own music on hold from now on (docs/calls.md "Music on hold"). */
  setHold(callId: string, on: boolean, mohUrl: string | undefined, customerId: string): Promise<Call>;
  setMusicOnHold(callId: string, on: boolean, mohUrl: string | undefined, customerId: string): Promise<Call>;
  setMute(callId: string, direction: MuteRequestDirection, on: boolean, customerId: string): Promise<Call>;
  setSilence(callId: string, on: boolean, customerId: string): Promise<Call>;
  startRecording(callId: string, options: RecordingOptions, customerId: string): Promise<Call>;
  stopRecording(callId: string, customerId: string): Promise<Call>;
  sendDigits(callId: string, command: DigitsCommand, customerId: string): Promise<Call>;
  redirect(callId: string, source: FlowSource, variables: Record<string, string>, customerId: string): Promise<Call>;
  /** `POST /calls/{id}/external_media`: resolves once the bot accepted the stream or could not be reached. */
  startMediaStream(callId: string, request: MediaStreamRequest, customerId: string): Promise<{ stream: MediaStream }>;
  /** `DELETE /calls/{id}/external_media`: one stream (404 `MEDIA_STREAM_NOT_FOUND` when unknown) or all; the stopped ones. */
  stopMediaStream(callId: string, streamId: string | undefined, customerId: string): Promise<MediaStream[]>;
  /** `GET /calls/{id}/external_media`: the streams that have not stopped (none for a call that is not live). */
  listMediaStreams(callId: string, customerId: string): Promise<MediaStream[]>;
  readonly transfers: TransferCommands;
}

/** How `GET /calls/{id}/media_stream` frames the audio (docs/api.md "Media streams"). */
export interface MediaTapOptions {
  /** `rtp`: a 12-byte RTP header (PT 0) and 160 µ-law bytes per 20 ms; `sln`: 320 bytes of int16 LE 8 kHz per 20 ms. */
  encapsulation: 'rtp' | 'sln';
  track: ListenTrack;
}

/**
 * Read-only listening to a live call (`GET /calls/{id}/media_stream`), implemented by the composition
 * root over `CallService.mediaListener` and the µ-law encoder of the media module.
 */
export interface MediaTap {
  /**
   * Starts handing the call's audio to `onFrame`, one binary frame per 20 ms (`bytes` may be reused
   * after the call: the API copies what it keeps), until the returned function is called or the call
   * ends (`onEnd`, once; the returned function may still be called after it). Undefined when the call
   * has no live leg on this node. `customerId` is the call's customer, which the API has checked already.
   */
  listen(
    callId: string,
    customerId: string,
    options: MediaTapOptions,
    onFrame: (bytes: Buffer) => void,
    onEnd: () => void,
  ): (() => void) | undefined;
}

/** What `/calls` and `/transfers` need: the live call commands and the stored calls. */
export interface CallsApiDeps {
  service: CallCommands;
  repo: CallRecords;
  /** `GET /calls/{id}/media_stream` (409 `CALL_STATE_INVALID` without it). */
  mediaTap?: MediaTap;
}
