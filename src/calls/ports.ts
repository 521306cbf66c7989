import type { Address } from './address.ts';
import type { Call, CallLegQos, MuteDirection } from './call.ts';
import type { CallChange } from './call-events.ts';
import type { AttemptFailure } from './hangup-reasons.ts';
import type { MediaStreamPort } from './media-stream.ts';

/*
 * What the calls domain needs from outside. The outer ring (store, SIP, media, flows, recordings)
 * implements these interfaces and main.ts passes them to CallService. Every callback the domain hands
 * to an adapter (LegEvents) may be called from any tick; the domain queues it on the call's
 * SerialQueue, so adapters never need to serialise anything themselves.
 *
 * Transfer (POST /transfers) is not implemented yet; it composes these ports without new ones: hold
 * the agent's leg (CallLeg.hold), dial the transferee as a call chained to the caller's master call
 * (CallService.createOutgoing with master_call_id), bridge caller and transferee on answer
 * (MediaPort.bridge), then hang the agent's call up; if the transferee fails, unhold the agent and
 * bridge the caller back to it.
 */

/** Persistence of calls and their events (the outbox). */
export interface CallStorePort {
  /**
   * Writes every call row and, in order, its events in ONE transaction; resolves once committed.
   * The domain tells nobody about a change before this resolves; a rejection means nothing was written.
   */
  save(changes: readonly CallChange[]): Promise<void>;
  /** The stored call, or undefined (any status, including hung-up ones). */
  get(callId: string): Promise<Call | undefined>;
  /**
   * Every stored call whose status is not `hangup` (crash reconciliation); with `nodeId`, only the
   * calls that node owns (docs/cluster.md "Node health").
   */
  listLive(filter?: { nodeId?: string }): Promise<Call[]>;
}

/** The route fields the domain reads (store rows are structurally compatible). */
export interface Route {
  id: string;
  /** The owning customer, or the nil UUID for a platform default route. */
  customer_id: string;
  provider_id: string;
  /** Lower is tried first. */
  priority: number;
  /** `+<country code>` or `all`. */
  target: string;
  tm_create: string;
}

/** A SIP trunk as the signalling adapter needs it to send an INVITE. */
export interface Provider {
  id: string;
  hostname: string;
  port: number;
  transport: string;
  tech_prefix: string;
  tech_postfix: string;
  tech_headers: Record<string, string>;
  auth_username: string;
  auth_password: string;
}

/** Routes, providers and their health, for outgoing `tel` calls. */
export interface RoutingPort {
  /** The customer's live routes and the platform default routes (nil customer), in any order. */
  listRoutes(customerId: string): Promise<readonly Route[]>;
  /** The live providers among `providerIds` (unknown ids are left out). */
  listProviders(providerIds: readonly string[]): Promise<readonly Provider[]>;
  /** False when the provider is known to be down (e.g. OPTIONS pings failing); asked right before each attempt. */
  isHealthy(providerId: string): boolean;
  /**
   * Numbers the platform carries itself (docs/calls.md "Test numbers"): undefined for any other
   * number; else the routes tried first (none: the number is refused like an unroutable one) and
   * whether the customer's own routes follow them.
   */
  reservedRoutes?(number: string): ReservedRoutes | undefined;
}

/** The routes of a number the platform carries itself ({@link RoutingPort.reservedRoutes}). */
export interface ReservedRoutes {
  candidates: readonly { route: Route; provider: Provider }[];
  /** True when the customer's routes are tried after these (failover); false: only these. */
  thenCustomerRoutes: boolean;
}

/** Extensions and their registrations, for `extension` destinations. */
export interface DirectoryPort {
  /** The registered contact URIs of extension `extension` of the customer; undefined when it does not exist. */
  extensionContacts(customerId: string, extension: string): Promise<readonly string[] | undefined>;
}

/** Where an outgoing attempt goes. */
export type DialTarget =
  /** A provider trunk and the E.164 number; the adapter applies tech_prefix/postfix/headers and auth. */
  | { kind: 'provider'; provider: Provider; number: string }
  /** A SIP URI given by the API caller. */
  | { kind: 'sip'; uri: string }
  /** An extension's registered contacts: fork to all, the first 2xx wins, the adapter CANCELs the rest. */
  | { kind: 'contacts'; extension: string; contacts: readonly string[] };

/** One outgoing INVITE the domain asks for. */
export interface DialRequest {
  call_id: string;
  customer_id: string;
  source: Address;
  destination: Address;
  target: DialTarget;
  /** Hide the caller id (`anonymous: "yes"`). */
  anonymous: boolean;
}

/** What a signalling leg reports to the domain; each method is called at most as described. */
export interface LegEvents {
  /** A 180/183 arrived on an outgoing attempt (`earlyMedia` when 183 carried SDP); may repeat. */
  ringing(info: { sip_status: number; early_media: boolean }): void;
  /** A 2xx established the dialog of an outgoing attempt (the adapter has ACKed it). Also after a CANCEL crossed a 2xx. */
  answered(): void;
  /** The outgoing attempt ended with no dialog: final non-2xx, no response at all, or a transport error. */
  failed(failure: AttemptFailure): void;
  /**
   * The far end sent BYE on an established dialog (the adapter has answered it 200), or the dialog
   * failed (`failed`: a request in it got 408/481 or no answer at all, RFC 3261 §12.2.1.2 and §14.1).
   */
  remoteBye(ending?: { failed: boolean }): void;
  /** The caller CANCELled an incoming INVITE before answer (the adapter has answered 200 and 487). */
  remoteCancel(): void;
}

/** One established or establishing SIP dialog of a call, as coarse operations. */
export interface CallLeg {
  /** The media leg this dialog feeds; the key of every MediaPort operation. */
  readonly leg_id: string;
  /** Ends an established dialog; resolves when the BYE was answered or timed out (never rejects for a timeout). */
  bye(): Promise<void>;
  /**
   * re-INVITE with `sendonly`/`inactive` towards the far end: signalling only (what the leg hears is
   * MediaPort.setHold); resolves on the 2xx, rejects when the re-INVITE fails. A timeout, 408 or 481
   * also ends the dialog, reported as `remoteBye({failed: true})`.
   */
  hold(): Promise<void>;
  /** re-INVITE back to `sendrecv`; like {@link hold}. */
  unhold(): Promise<void>;
}

/** An outgoing INVITE in progress; after `answered()` it is the call's established leg. */
export interface OutgoingAttempt extends CallLeg {
  /** CANCELs the INVITE (RFC 3261 §9.1); resolves once sent. A 2xx that crosses it is still reported as `answered()`. */
  cancel(): Promise<void>;
}

/** An incoming INVITE accepted by the signalling adapter after verification and number lookup. */
export interface IncomingLeg extends CallLeg {
  /** Subscribes the domain to this leg's events (`remoteCancel`, `remoteBye`). Called once. */
  listen(events: LegEvents): void;
  /** Sends 180 Ringing. */
  ring(): Promise<void>;
  /**
   * Sends 183 Session Progress with the SDP answer, so the caller hears our audio before the 200
   * (RFC 3960 §3: a bridged callee's early media, docs/media.md "Early media"); a no-op once answered.
   */
  sessionProgress?(): Promise<void>;
  /** Sends 200 OK with the SDP answer; resolves when the ACK arrived. */
  answer(): Promise<void>;
  /** Sends a final non-2xx response (486, 480, 603, …). */
  reject(sipStatus: number): Promise<void>;
}

/** SIP signalling as the domain sees it: it never sees a SIP message. */
export interface SignalingPort {
  /** Starts an outgoing attempt; outcomes arrive on `events`. Never throws: a failure to send is `failed({kind:'transport'})`. */
  dial(request: DialRequest, events: LegEvents): OutgoingAttempt;
}

/** Text to speak into a call. */
export interface TalkRequest {
  text: string;
  language: string;
  gender?: string;
  voice_id?: string;
}

/** DTMF to send (RFC 4733). */
export interface DigitsRequest {
  digits: string;
  durationMs: number;
  intervalMs: number;
}

/** Media of one leg, by `leg_id`; every method resolves once the change is in effect (not when playback ends). */
export interface MediaPort {
  /** Plays audio files (http(s) URLs or uploaded media) to the leg. */
  play(legId: string, mediaUrls: readonly string[]): Promise<void>;
  /** Speaks text to the leg. */
  talk(legId: string, request: TalkRequest): Promise<void>;
  /** Stops what `play`/`talk` is playing. */
  stop(legId: string): Promise<void>;
  /** Sets the mute state: `in` the leg hears nothing, `out` nothing from the leg is sent on, `both`, or `""`. */
  setMute(legId: string, direction: MuteDirection): Promise<void>;
  /** Sends silence instead of any media to the leg while on. */
  setSilence(legId: string, on: boolean): Promise<void>;
  /** Marks the leg held by callbin: at once it hears hold music or silence, never its bridged peer. */
  setHold(legId: string, on: boolean): Promise<void>;
  /**
   * Plays the music-on-hold file to the leg while on: `mohUrl` (the call's own), else the customer's
   * `moh_url`, else the built-in music (docs/calls.md "Music on hold").
   */
  setMusicOnHold(legId: string, on: boolean, mohUrl?: string): Promise<void>;
  /** Sends DTMF to the leg. */
  sendDigits(legId: string, request: DigitsRequest): Promise<void>;
  /** Relays audio between two legs (the two-call model of docs/calls.md; transfer bridges caller and transferee). */
  bridge(legIdA: string, legIdB: string): Promise<void>;
  /** Stops relaying between two legs. */
  unbridge(legIdA: string, legIdB: string): Promise<void>;
  /**
   * The media quality of each leg the call had, taken once at its hangup (docs/calls.md "Media
   * quality"); absent or empty where the call had no media.
   */
  qos?(callId: string): CallLegQos[];
}

/** The flow a call runs: a stored flow or inline actions (a non-persisted flow). */
export type FlowSource = { flow_id: string } | { actions: readonly unknown[] };

/** Activeflows, as the calls domain drives them; the flows module implements this. */
export interface FlowPort {
  /** Throws 404 `FLOW_NOT_FOUND` / 400 `INVALID_ACTION` when the flow cannot run for the customer. */
  validate(customerId: string, source: FlowSource): Promise<void>;
  /** Creates (does not start) an activeflow for the call. */
  create(request: {
    customer_id: string;
    call_id: string;
    source: FlowSource;
    variables: Record<string, string>;
  }): Promise<{ flow_id: string; activeflow_id: string }>;
  /**
   * Starts the activeflow; resolves once started, never waiting on its actions (which call back into
   * CallService). When the flow ends by itself the flows module calls `CallService.flowEnded`.
   */
  execute(activeflowId: string): Promise<void>;
  /** Stops the activeflow; idempotent (an ended or unknown activeflow is fine). */
  stop(activeflowId: string): Promise<void>;
}

/** Options of `POST /calls/{id}/recording_start`. */
export interface RecordingOptions {
  format: 'wav';
  end_of_silence?: number;
  end_of_key?: string;
  duration?: number;
  on_end_flow_id?: string;
  /** The activeflow whose `recording_start` asks (the recording's `activeflow_id`); absent from the API. */
  activeflow_id?: string;
}

/** Recordings of a call's leg; the recordings module implements this. */
export interface RecorderPort {
  /** Creates the recording and starts capturing the leg; when it ends by itself the adapter calls `CallService.recordingEnded`. */
  start(request: {
    call_id: string;
    customer_id: string;
    leg_id: string;
    options: RecordingOptions;
  }): Promise<{ recording_id: string }>;
  /** Stops capturing; idempotent. */
  stop(recordingId: string): Promise<void>;
}

/**
 * Whether a SIP address a customer gave (a `sip` destination; never a provider's or a registered
 * contact) may be dialled: production mode refuses internal hosts (docs/security.md).
 */
export interface SipTargetPort {
  /** Why `target` may not be dialled, as far as the address alone tells (an internal IP, `localhost`); undefined otherwise. */
  refusal(target: string): string | undefined;
}

/** Every port CallService needs. */
export interface CallPorts {
  store: CallStorePort;
  signaling: SignalingPort;
  media: MediaPort;
  flows: FlowPort;
  routing: RoutingPort;
  directory: DirectoryPort;
  recorder: RecorderPort;
  /** Checks `sip` destinations before a call is created; without it every SIP address may be dialled. */
  sipTargets?: SipTargetPort;
  /**
   * Media streams to customers' WebSockets (docs/media-streams.md); without it the stream controls
   * answer 409 `CALL_STATE_INVALID` ("media streams are not available on this server").
   */
  streams?: MediaStreamPort;
}
