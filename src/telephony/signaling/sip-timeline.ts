import type { Clock, Logger } from '../../shared/index.ts';
import type { MessagePeer, SipMessage, SipMessageObserver } from '../../sip/index.ts';
import type { TimelineRecorder } from '../../timeline/index.ts';
import { MediaTimeline } from '../media/media-timeline.ts';
import type { SipDialogTracker } from '../media/media-timeline.ts';

/** The most of a message's text kept in its entry (docs/timeline.md "SIP ladder"). */
export const SIP_TEXT_MAX_BYTES = 8192;
/** The headers kept in an entry's `headers`, as named there. */
const KEPT_HEADERS = ['From', 'To', 'Contact', 'Reason', 'Retry-After', 'User-Agent', 'Server'] as const;
/** The longest header value kept; longer ones are cut. */
const HEADER_VALUE_MAX = 512;
/** SIP dialogs (Call-IDs) of legs remembered; the oldest are forgotten beyond it. */
const MAX_DIALOGS = 8192;
/** Messages told apart per dialog for retransmission marking. */
const MAX_SEEN_PER_DIALOG = 512;
/** Incoming INVITEs not yet given to a leg (being authenticated and routed), at most. */
const MAX_ARRIVING = 64;
/** Messages kept per arriving INVITE's Call-ID until a leg takes it. */
const MAX_ARRIVING_MESSAGES = 8;
/** An arriving INVITE no leg took within this long is forgotten (RFC 3261 §17.2.1 Timer H is 32 s). */
const ARRIVING_TTL_MS = 32_000;

/** What an entry of one message says. */
export interface SipEntry {
  summary: string;
  data: Record<string, unknown>;
}

interface Dialog {
  legId: string;
  seen: Set<string>;
}

interface Arriving {
  firstMs: number;
  messages: { entry: SipEntry; key: string; atMs: number }[];
}

const BRANCH_RE = /;\s*branch=([^;,\s]+)/i;
const TAG_RE = /;\s*tag=([^;>\s]+)/i;

/** The top Via's branch of a message; '' without one. */
function branchOf(msg: SipMessage): string {
  return BRANCH_RE.exec(msg.headers.get('via') ?? '')?.[1] ?? '';
}

/**
 * A message's `text` (docs/timeline.md "SIP ladder"): the bytes as on the wire are kept (at most
 * {@link SIP_TEXT_MAX_BYTES} and the byte after it) and decoded only when the entry is written
 * (`JSON.stringify` calls {@link toJSON}) — cut at a UTF-8 boundary, digest responses hidden.
 */
export class SipText {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes.length > SIP_TEXT_MAX_BYTES ? bytes.subarray(0, SIP_TEXT_MAX_BYTES + 1) : bytes;
  }

  /** True when the text is cut (the message is longer than {@link SIP_TEXT_MAX_BYTES}). */
  static truncates(bytes: Buffer): boolean {
    return bytes.length > SIP_TEXT_MAX_BYTES;
  }

  toJSON(): string {
    return boundedText(this.#bytes);
  }

  toString(): string {
    return boundedText(this.#bytes);
  }
}

/**
 * The entry of one SIP message (docs/timeline.md "Entries", `sip`): direction, method or status and
 * reason, peer, Call-ID, CSeq, the headers that matter, Via's branch, and the text up to
 * {@link SIP_TEXT_MAX_BYTES} with digest responses hidden (decoded when written, {@link SipText}).
 */
export function sipEntry(
  msg: SipMessage,
  direction: 'in' | 'out',
  peer: MessagePeer,
  bytes: Buffer,
  retransmission: boolean,
  branch: string = branchOf(msg),
): SipEntry {
  const arrow = direction === 'out' ? '→' : '←';
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = msg.headers.get(name);
    if (value !== undefined) headers[name] = value.length > HEADER_VALUE_MAX ? value.slice(0, HEADER_VALUE_MAX) : value;
  }
  if (branch !== '') headers.branch = branch;
  const request = msg.kind === 'request';
  const data: Record<string, unknown> = { direction };
  if (request) data.method = msg.method;
  else {
    data.status = msg.status;
    data.reason = msg.reason;
  }
  data.peer = `${peer.transport.toLowerCase()}:${peer.address}:${peer.port}`;
  data.sip_call_id = msg.headers.get('call-id') ?? '';
  data.cseq = msg.headers.get('cseq') ?? '';
  data.headers = headers;
  data.text = new SipText(bytes);
  if (SipText.truncates(bytes)) data.text_truncated = true;
  if (retransmission) data.retransmission = true;
  const what = request ? msg.method : `${msg.status} ${msg.reason}`;
  return { summary: `${what} ${arrow}${retransmission ? ' (retransmission)' : ''}`, data };
}

/** The message text cut at a UTF-8 boundary within the bound; Authorization digest responses hidden. */
function boundedText(bytes: Buffer): string {
  let end = Math.min(bytes.length, SIP_TEXT_MAX_BYTES);
  // A continuation byte (10xxxxxx) would split a character: back off to its first byte.
  if (end < bytes.length) while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  const text = bytes.toString('utf8', 0, end);
  if (!/authorization/i.test(text)) return text;
  return text.replace(/^((?:proxy-)?authorization\s*:.*?\bresponse\s*=\s*)"[^"\r\n]*"/gim, '$1"…"');
}

/** Tells a retransmission apart: the same message (method or status, CSeq, branch, To tag) seen again the same way. */
function messageKey(msg: SipMessage, direction: 'in' | 'out', branch: string): string {
  const what = msg.kind === 'request' ? msg.method : String(msg.status);
  const toTag = TAG_RE.exec(msg.headers.get('to') ?? '')?.[1] ?? '';
  return `${direction} ${what} ${msg.headers.get('cseq') ?? ''} ${branch} ${toTag}`;
}

/** Options of {@link SipTimeline}. */
export interface SipTimelineOptions {
  /** Where entries go, by leg. */
  legs: Pick<MediaTimeline, 'record' | 'bindLeg'>;
  clock: Clock;
}

/**
 * The SIP ladder of calls (docs/timeline.md "SIP ladder"): the transport observer records every
 * message of a SIP dialog a leg said is its own (by Call-ID), retransmissions marked. An incoming
 * INVITE is kept a while until its leg is made (routing happens after it arrived); REGISTER, OPTIONS
 * and anything else outside a leg's dialogs is never recorded.
 */
export class SipTimeline implements SipDialogTracker {
  readonly #legs: SipTimelineOptions['legs'];
  readonly #clock: Clock;
  readonly #dialogs = new Map<string, Dialog>();
  readonly #arriving = new Map<string, Arriving>();

  constructor(options: SipTimelineOptions) {
    this.#legs = options.legs;
    this.#clock = options.clock;
  }

  /** Call-IDs of incoming INVITEs waiting for their leg (tests and metrics). */
  get arriving(): number {
    return this.#arriving.size;
  }

  /** The transport observer. */
  readonly observe: SipMessageObserver = (msg, direction, peer, bytes) => {
    const callId = msg.headers.get('call-id');
    if (callId === undefined) return;
    const dialog = this.#dialogs.get(callId);
    if (dialog) {
      const branch = branchOf(msg);
      const key = messageKey(msg, direction, branch);
      const again = dialog.seen.has(key);
      if (!again && dialog.seen.size < MAX_SEEN_PER_DIALOG) dialog.seen.add(key);
      const entry = sipEntry(msg, direction, peer, bytes, again, branch);
      this.#legs.record(dialog.legId, 'sip', entry.summary, entry.data);
      return;
    }
    this.#arrive(callId, msg, direction, peer, bytes);
  };

  track(sipCallId: string, legId: string, callId?: string): void {
    if (callId !== undefined) this.#legs.bindLeg(legId, callId);
    const known = this.#dialogs.get(sipCallId);
    if (known?.legId === legId) return;
    const dialog: Dialog = { legId, seen: new Set() };
    this.#dialogs.set(sipCallId, dialog);
    if (this.#dialogs.size > MAX_DIALOGS) this.#dialogs.delete(this.#dialogs.keys().next().value ?? sipCallId);
    const arriving = this.#arriving.get(sipCallId);
    if (!arriving) return;
    this.#arriving.delete(sipCallId);
    if (this.#clock.now() - arriving.firstMs > ARRIVING_TTL_MS) return;
    for (const m of arriving.messages) {
      dialog.seen.add(m.key);
      this.#legs.record(legId, 'sip', m.entry.summary, m.entry.data, m.atMs);
    }
  }

  /** Keeps the messages of an incoming INVITE (and what follows it) until a leg takes its Call-ID. */
  #arrive(callId: string, msg: SipMessage, direction: 'in' | 'out', peer: MessagePeer, bytes: Buffer): void {
    const now = this.#clock.now();
    let arriving = this.#arriving.get(callId);
    if (arriving && now - arriving.firstMs > ARRIVING_TTL_MS) {
      this.#arriving.delete(callId);
      arriving = undefined;
    }
    if (!arriving) {
      const initialInvite =
        direction === 'in' &&
        msg.kind === 'request' &&
        msg.method === 'INVITE' &&
        !/;\s*tag=/i.test(msg.headers.get('to') ?? '');
      if (!initialInvite) return;
      if (this.#arriving.size >= MAX_ARRIVING) this.#arriving.delete(this.#arriving.keys().next().value ?? callId);
      arriving = { firstMs: now, messages: [] };
      this.#arriving.set(callId, arriving);
    }
    if (arriving.messages.length >= MAX_ARRIVING_MESSAGES) return;
    const branch = branchOf(msg);
    const key = messageKey(msg, direction, branch);
    const again = arriving.messages.some((m) => m.key === key);
    arriving.messages.push({ entry: sipEntry(msg, direction, peer, bytes, again, branch), key, atMs: now });
  }
}

/** The SIP and media timeline of calls, wired. */
export interface CallTimelines {
  /** Given to CallMedia: legs record their media events and say which SIP dialogs are theirs through it. */
  media: MediaTimeline;
  sip: SipTimeline;
  /** Stops observing the SIP transport. */
  stop(): void;
}

/**
 * Builds the SIP and media timeline of calls over `recorder` and starts observing the SIP transport;
 * undefined when the timeline is off, so that nothing observes anything (docs/timeline.md "SIP ladder").
 */
export function startCallTimelines(o: {
  recorder: TimelineRecorder;
  sip: { observe(observer: SipMessageObserver): () => void };
  customerOf(callId: string): Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
}): CallTimelines | undefined {
  if (!o.recorder.enabled) return undefined;
  const media = new MediaTimeline({ recorder: o.recorder, customerOf: o.customerOf, clock: o.clock, logger: o.logger });
  const sip = new SipTimeline({ legs: media, clock: o.clock });
  media.dialogs = sip;
  const stop = o.sip.observe(sip.observe);
  return { media, sip, stop };
}
