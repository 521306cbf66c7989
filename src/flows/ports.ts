import type {
  Address,
  Call,
  CallAction,
  FlowSource,
  HangupReason,
  MediaStreamRequest,
  MuteRequestDirection,
  RecordingOptions,
  StartedMediaStream,
} from '../calls/index.ts';
import type { Activeflow, ActiveflowEvent } from './activeflow.ts';
import type { FlowAction } from './flow-action.ts';

/*
 * What the flow engine needs from outside. The outer ring implements these interfaces and main.ts
 * passes them to FlowEngine. Every method that waits takes an AbortSignal: when it aborts, the
 * adapter stops what it started (playback, echo, conference membership) and rejects promptly with
 * the signal's reason. The engine never holds an activeflow's queue while it calls a CallControlPort
 * method, so adapters may queue on the call's own SerialQueue without risk of deadlock.
 */

/** Persistence of activeflows and their events (the outbox). */
export interface ActiveflowStorePort {
  /** Writes the row and, in order, its events in ONE transaction; resolves once committed. */
  save(activeflow: Activeflow, events: readonly ActiveflowEvent[]): Promise<void>;
  /** The stored activeflow, or undefined. */
  get(activeflowId: string): Promise<Activeflow | undefined>;
  /**
   * Every stored activeflow whose status is `running` (crash reconciliation); with `nodeId`, only
   * those that node runs (docs/cluster.md "Node health").
   */
  listRunning(filter?: { nodeId?: string }): Promise<Activeflow[]>;
}

/** A stored flow as the engine needs it. */
export interface StoredFlow {
  id: string;
  customer_id: string;
  /** Already validated and in stored form (ids filled). */
  actions: readonly FlowAction[];
}

/** Stored flows, looked up per customer. */
export interface FlowLookupPort {
  /** The flow when it exists and belongs to the customer, otherwise undefined. */
  getFlow(customerId: string, flowId: string): Promise<StoredFlow | undefined>;
}

/** Text to speak (the `talk` action's options). */
export interface SpeechRequest {
  text: string;
  language: string;
  gender?: string;
  voice_id?: string;
}

/** One DTMF digit received on a call. */
export interface DtmfDigit {
  digit: string;
  durationMs: number;
}

/** What happened to a call, as the `connect` action follows its callees. */
export type CallProgress =
  /** 180/183; `early_media` when the callee sends audio before answering. */
  { kind: 'ringing'; early_media: boolean } | { kind: 'answered' } | { kind: 'hangup'; reason: HangupReason };

/** New outgoing calls a flow asks for (`connect`, `call`). */
export interface DialCallsRequest {
  customer_id: string;
  source: Address;
  destinations: readonly Address[];
  /** The flow the new calls run. */
  flow: FlowSource;
  /** Chain the new calls to this call (nil/absent: independent calls). */
  master_call_id?: string;
  early_execution?: boolean;
  /** Seconds the destinations may ring (the calls' dial timeout). */
  ring_timeout_sec?: number;
  /** Hide the caller id, like the calls API's `anonymous: "yes"` (docs/calls.md). */
  anonymous?: boolean;
}

/**
 * The narrow surface flow actions use to drive calls, by call id. Implemented by an adapter over
 * CallService (signalling state) and the media endpoint (audio).
 */
export interface CallControlPort {
  /** The call as it is now, or undefined when unknown. */
  get(callId: string): Promise<Call | undefined>;
  /**
   * Answers an unanswered incoming call (200 OK) -> `progressing`. With `early`, it sends 183 Session
   * Progress with its SDP instead and the call stays `ringing`, so it hears a callee's early media
   * (docs/media.md "Early media"); with `early`, any other call is left as it is.
   */
  answer(callId: string, options?: { early?: boolean }): Promise<void>;
  /** Speaks text; resolves when it has been played; aborting the signal stops the speech. */
  talk(callId: string, request: SpeechRequest, signal: AbortSignal): Promise<void>;
  /** Plays each URL in turn; resolves when all were played; aborting stops playback. */
  play(callId: string, urls: readonly string[], signal: AbortSignal): Promise<void>;
  /** Plays a short beep; resolves when played. */
  beep(callId: string, signal: AbortSignal): Promise<void>;
  /** Stops what talk/play is playing. */
  stopMedia(callId: string): Promise<void>;
  /** A local hangup with an explicit reason (`""`: the call picks its own). */
  hangup(callId: string, reason: HangupReason): Promise<void>;
  /** Subscribes to DTMF digits as they arrive (the engine buffers them); returns the unsubscribe function. */
  onDtmf(callId: string, listener: (digit: DtmfDigit) => void): () => void;
  /** Sends RFC 4733 DTMF; resolves when sent. */
  sendDigits(
    callId: string,
    request: { digits: string; durationMs: number; intervalMs: number },
    signal: AbortSignal,
  ): Promise<void>;
  /** Starts recording the call; resolves once it runs. */
  recordingStart(callId: string, options: RecordingOptions): Promise<void>;
  /** Stops the call's active recording; a call without one is fine. */
  recordingStop(callId: string): Promise<void>;
  /** Opens a media stream on the call (docs/media-streams.md); resolves once it runs or failed to connect. */
  mediaStreamStart(callId: string, request: MediaStreamRequest): Promise<StartedMediaStream>;
  /** Stops the call's streams; resolves when stopped (none is fine). */
  mediaStreamStop(callId: string): Promise<void>;
  /** Mutes (`on`) or unmutes one direction of an answered call, combining with its current mute (`CallService.setMute`). */
  setMute(callId: string, direction: MuteRequestDirection, on: boolean): Promise<void>;
  /** Sends back what the caller says (and DTMF) until the signal aborts; then resolves. */
  echo(callId: string, signal: AbortSignal): Promise<void>;
  /** The audio the call receives as 20 ms frames of 8 kHz 16-bit PCM (160 samples), until the signal aborts. */
  audioFrames(callId: string, signal: AbortSignal): AsyncIterable<Int16Array>;
  /** Creates one outgoing call per destination and returns their ids, in destination order. */
  dial(request: DialCallsRequest): Promise<string[]>;
  /**
   * Follows a call: the current state is reported at once on subscribe (`answered` when already
   * progressing, `hangup` when already ended), later changes as they happen. Returns the unsubscribe function.
   */
  onProgress(callId: string, listener: (progress: CallProgress) => void): () => void;
  /**
   * Relays audio between two calls (the two-call model of docs/calls.md). With `join`, call A keeps
   * the calls it joined before and every joined call hears the others (docs/media.md "Join-all mixing").
   */
  bridge(callIdA: string, callIdB: string, options?: { join?: boolean }): Promise<void>;
  /** Stops relaying between two calls; fine when either has ended. */
  unbridge(callIdA: string, callIdB: string): Promise<void>;
  /** Reports the action now executing on the call (`CallService.setAction`). */
  setAction(callId: string, action: CallAction): Promise<void>;
  /** The call's activeflow ended by itself: the call hangs up (`CallService.flowEnded`). */
  flowEnded(callId: string, activeflowId: string): Promise<void>;
}

/** Conferences as a flow joins them. */
export interface ConferencePort {
  /**
   * Puts the call into the conference; resolves when it leaves (kick, conference end); aborting takes
   * it out. `joiner.activeflowId` is the activeflow whose action joins: its conferencecall shows it.
   */
  join(callId: string, conferenceId: string, signal: AbortSignal, joiner?: ConferenceJoiner): Promise<void>;
  /**
   * The flows a joining call runs: `pre_flow_id` before it joins, `post_flow_id` after it leaves
   * (nil UUID or `""`: none). Undefined when the conference is not the customer's or not progressing.
   */
  flowsOf(customerId: string, conferenceId: string): Promise<ConferenceFlows | undefined>;
}

/** Who asks a call into a conference (docs/media.md "Conferences"). */
export interface ConferenceJoiner {
  /** The activeflow whose action joins the call; the conferencecall's `activeflow_id`. */
  activeflowId?: string;
}

/** A conference's flows around a participant's stay. */
export interface ConferenceFlows {
  pre_flow_id: string;
  post_flow_id: string;
}

/** A `webhook_send` request; the adapter signs it like events (customer's secret). */
export interface WebhookRequest {
  customer_id: string;
  activeflow_id: string;
  /** The action sending it and the activeflow's call, for the timeline (docs/timeline.md "Entries"). */
  action_id?: string;
  call_id?: string | undefined;
  uri: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  data_type: string;
  data: string;
}

/** A `fetch` request: the body is sent as JSON. */
export interface FetchRequest {
  customer_id: string;
  activeflow_id: string;
  /** The action sending it and the activeflow's call, for the timeline (docs/timeline.md "Entries"). */
  action_id?: string;
  call_id?: string | undefined;
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body: unknown;
}

/** Outgoing HTTP for `webhook_send` and `fetch` (undici in the adapter). */
export interface HttpPort {
  /** Sends the request; resolves with the response status; rejects on a connection error or abort. */
  send(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }>;
  /** Sends the request and resolves with the parsed JSON answer; rejects on a non-2xx status, bad JSON, a connection error or abort. */
  fetchJson(request: FetchRequest, signal: AbortSignal): Promise<unknown>;
}

/** Every port FlowEngine needs. */
export interface FlowPorts {
  store: ActiveflowStorePort;
  flows: FlowLookupPort;
  calls: CallControlPort;
  conferences: ConferencePort;
  http: HttpPort;
}
